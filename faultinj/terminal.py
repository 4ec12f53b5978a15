"""make run: the whole system with its serial console on this terminal.

The command line comes from faultinj/qemu.py (Qemu.command), the one the
harness uses, with `interactive` set: the console's Ctrl-C ends QEMU.
`python3 -m faultinj run --print` prints it instead of running it.
"""

import signal
import subprocess
import sys

from . import bootimage, exitcodes
from .qemu import Qemu

MEANING = {exitcodes.HOST_HALT: "clean halt", exitcodes.HOST_PANIC: "panic",
           exitcodes.HOST_TEST_FAIL: "in-guest test failed",
           exitcodes.HOST_DEADLINE: "virtual-time limit", exitcodes.HOST_RESET: "reset (triple fault)"}


def qemu(append: str = "") -> Qemu:
    """The system `make run` boots (bootimage.SYSTEM), not started."""
    return Qemu(bootimage.kernel_path(), bootimage.modules(bootimage.system()),
                append=append, interactive=True)


def main(print_only: bool = False, append: str = "") -> int:
    q = qemu(append)
    if print_only:
        print(q.command_line())
        return 0
    p = subprocess.Popen(q.command())
    # the terminal's Ctrl-C reaches QEMU (which ends) and us: only QEMU acts
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        status = p.wait()
    finally:
        signal.signal(signal.SIGINT, old)
    print(f"qemu exit status {status} ({MEANING.get(status, 'see faultinj/exitcodes.py')})",
          file=sys.stderr)
    return 0
