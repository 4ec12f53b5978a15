"""Cost of the compiled-in fault hooks, in guest instructions.

The same fixed workload (INIT runs `wl kv N` at boot, no console input, so
the run is deterministic) is timed in virtual time, which under
-icount shift=0 is one nanosecond per guest instruction:
  - hooks compiled out (FAULTINJ=0, a separate build),
  - compiled in but disarmed (the shipped build),
  - compiled in and armed on a site the workload never reaches, so every
    hook it passes takes the slow path and finds nothing to fire.
"""

import os
import subprocess
import tempfile

from faultinj import bootimage
from faultinj.qemu import Qemu
from faultinj.session import Session

N = 1500


def _span(events):
    start = next(e for e in events if e.kind == "wl_start")
    done = next(e for e in events if e.kind == "wl_done")
    assert done.int("wrong") == 0 and done.int("answered") == N, done.raw
    return (done.t - start.t) * 1000          # ns == instructions


def _plain_run(build_dir):
    os.environ["OS_BUILD_DIR"] = str(build_dir)
    try:
        import importlib
        importlib.reload(bootimage)
        mods = bootimage.modules(bootimage.system(init=f"wl kv {N}"))
        q = Qemu(bootimage.kernel_path(), mods, timeout=180)
        with q:
            q.serial.wait_kind("wl_done", 170)
            return _span(q.serial.events)
    finally:
        del os.environ["OS_BUILD_DIR"]
        importlib.reload(bootimage)


def measure():
    with tempfile.TemporaryDirectory(prefix="nofi-") as nofi:
        bootimage.build([f"BUILD={nofi}", "FAULTINJ=0", "-j2"])
        off = _plain_run(nofi)
    with tempfile.TemporaryDirectory(prefix="noauto-") as hand:
        bootimage.build([f"BUILD={hand}", "AUTOSITES=0", "-j2"])
        hand_only = _plain_run(hand)
    disarmed = _plain_run(bootimage.BUILD)
    with Session(bootimage.system(init=f"wl kv {N}"), timeout=180,
                 arm_at_boot=[dict(site="vm.request", fault="crash", proc="nobody")]) as s:
        s.console.wait_event("wl_done", timeout=170)
        armed = _span(s.events)
    return off, hand_only, disarmed, armed


def report():
    off, hand_only, disarmed, armed = measure()
    print(f"Fault hooks, fixed workload (wl kv {N}: {2 * N} requests), guest instructions:")
    print(f"  compiled out (FAULTINJ=0):     {off:>12,}")
    print(f"  hand hooks only, disarmed:     {hand_only:>12,}  ({(hand_only - off) / off * 100:+.2f}%)")
    print(f"  + automatic sites, disarmed:   {disarmed:>12,}  ({(disarmed - off) / off * 100:+.2f}%)")
    print(f"  compiled in, armed elsewhere:  {armed:>12,}  ({(armed - off) / off * 100:+.2f}%)")
