"""Boot time of the whole system: from starting QEMU to RS's ready event,
in host time and in guest virtual time (median of several boots). This is
what one experiment pays to start from a fresh machine."""

import statistics
import time

from faultinj import bootimage
from faultinj.qemu import Qemu

BOOTS = 10


def report():
    host, virt = [], []
    mods = bootimage.modules(bootimage.system())
    for _ in range(BOOTS):
        t0 = time.monotonic()
        with Qemu(bootimage.kernel_path(), mods, timeout=60) as q:
            ev = q.serial.wait_kind("ready", 30, who="rs")
            host.append(time.monotonic() - t0)
            virt.append(ev.t)
    print(f"Boot to RS ready, whole system ({BOOTS} boots, TCG -icount):")
    print(f"  host: median {statistics.median(host) * 1000:.0f} ms, "
          f"max {max(host) * 1000:.0f} ms; guest virtual: {statistics.median(virt) / 1000:.1f} ms")
