"""make bench: figures, not pass/fail. Each part prints its own section."""

import sys

from faultinj import bootimage

from . import autosites, boot, campaign, fi_overhead, fuzz, hostile, ipc


def main():
    bootimage.build()
    boot.report()
    print()
    ipc.report()
    print()
    fi_overhead.report()
    print()
    fuzz.report()
    print()
    hostile.report()
    print()
    campaign.report()
    print()
    autosites.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
