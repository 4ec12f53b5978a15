"""Cost of the compiled-in fault hooks, in guest instructions.

The same fixed workload (INIT runs `wl kv N` at boot, no console input, so
the run is deterministic) is timed in virtual time, which under
-icount shift=0 is one nanosecond per guest instruction:
  - hooks compiled out (FAULTINJ=0, a separate build),
  - compiled in but disarmed (the shipped build),
  - compiled in and armed on a site the workload never reaches: a hook
    tests only its own site's bit (per-site arming, issue 23), so every
    hook the workload passes stays on its fast path; the IPC path stays on
    its plain copy (only a kernel.ipc.* site switches it);
  - compiled in and an automatic site "@ADDR" armed elsewhere (an int3
    in a process that does not run): no hook looks at it;
  - compiled in with every hook on its slow path (a slot at site "*",
    the golden run's counter): what "armed elsewhere" cost before
    per-site arming, when every hook tested one global armed count.
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
    armed = _armed_run(dict(site="vm.request", fault="crash", proc="nobody"))
    auto = _armed_run(dict(site="@40001000", fault="crash", proc="nobody"))
    every = _armed_run(dict(site="*", fault="crash", proc="nobody"))
    return off, hand_only, disarmed, armed, auto, every


def _armed_run(slot):
    """The workload with one slot armed at boot (it never fires)."""
    with Session(bootimage.system(init=f"wl kv {N}"), timeout=180, arm_at_boot=[slot]) as s:
        s.console.wait_event("wl_done", timeout=170)
        assert not [e for e in s.events if e.kind == "fi_fired"], slot
        return _span(s.events)


def report():
    off, hand_only, disarmed, armed, auto, every = measure()

    def pct(n):
        return f"({(n - off) / off * 100:+.2f}%, {(n - disarmed) / disarmed * 100:+.2f}% over disarmed)"
    print(f"Fault hooks, fixed workload (wl kv {N}: {2 * N} requests), guest instructions:")
    print(f"  compiled out (FAULTINJ=0):     {off:>12,}")
    print(f"  hand hooks only, disarmed:     {hand_only:>12,}  ({(hand_only - off) / off * 100:+.2f}%)")
    print(f"  + automatic sites, disarmed:   {disarmed:>12,}  ({(disarmed - off) / off * 100:+.2f}%)")
    print(f"  compiled in, armed elsewhere:  {armed:>12,}  {pct(armed)}")
    print("    (a hand site the workload never reaches, vm.request for no process; goal <= 2%)")
    print(f"  automatic site armed elsewhere:{auto:>12,}  {pct(auto)}")
    print(f"  every hook on its slow path:   {every:>12,}  {pct(every)}")
    print("    (site \"*\": the old meaning of \"armed elsewhere\", when one armed fault")
    print("     sent every hook down its slow path and the IPC path to its instrumented copy)")
