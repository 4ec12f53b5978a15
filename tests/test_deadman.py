"""The machine's own watchdog (os/kernel/deadman.c, QEMU's ib700): a
kernel that stops taking its clock and cannot end the run itself (its
lockup detector's NMI does nothing, as under a kernel whose own trap
handling faults) is stopped by the machine DEADMAN_S seconds of virtual
time after its last tick; the host reads the stop from the GDB stub and
the verdict is a system hang, not a harness error after the host limit."""

import time

from campaigns import spec, verdict
from faultinj import bootimage, exitcodes, planned

# cli; hlt; jmp back: the next clock tick never returns, interrupts off
SPIN = b"\xfa\xf4\xeb\xfc"
RET = b"\xc3"


def _run(writes):
    m = planned.PlannedMachine(bootimage.system(rs="period=20") + [("scenario", "plan")],
                               snapshot=True, reset="warm")
    try:
        t0 = time.monotonic()
        r = m.run("kv:10 watch:300 probe", 30000, writes=writes(m.kernel), limit=60)
        return r, time.monotonic() - t0, m.broken
    finally:
        m.close()


def test_a_kernel_without_its_clock_is_stopped_by_the_machine():
    r, host_s, broken = _run(lambda k: [(k.address("clock_tick"), SPIN),
                                        (k.address("lockup_nmi"), RET)])
    assert r.error is None, r.error
    assert r.end == exitcodes.WATCHDOG and "watchdog" in broken
    assert host_s < 20, host_s
    exp = spec.parse("campaign d\nkv crash\n", "d.spec").experiments[0]
    v = verdict.classify(exp, verdict.Trace(r.events, end=r.end, armed=False))
    assert v.outcome == "system_hang" and f"{exitcodes.DEADMAN_S} s" in v.why, v.why


def test_its_lockup_detector_still_comes_first():
    """With its NMI handler intact, the same spin is the lockup detector's
    (tens of ms): the machine's watchdog only backs it up."""
    r, _, _ = _run(lambda k: [(k.address("clock_tick"), SPIN)])
    assert r.error is None and r.end != exitcodes.WATCHDOG, (r.end, r.error)
    assert any(e.kind == "panic" and "locked up" in str(e.get("reason")) for e in r.events)


def test_kernel_traps_nested_without_end_stop_the_machine():
    """A kernel whose trap handling faults in turn (trap_dispatch's first
    instruction invalid: each fault enters the trap stub again, one frame
    deeper) is stopped by a triple fault once its frames reach the kernel
    stack's guard (os/kernel/trap.S, trap_storm), in a few hundred nested
    traps; it no longer winds round the stack for ever."""
    UD2 = b"\x0f\x0b"
    r, host_s, _ = _run(lambda k: [(k.address("trap_dispatch"), UD2)])
    assert r.error is None, r.error
    assert r.end == exitcodes.RESET and host_s < 20, (r.end, host_s)


def test_a_machine_saved_at_the_boot_hook_comes_back_after_its_watchdog():
    """On a machine saved at the boot hook (faultinj/bootsaved.py), a run
    the machine's watchdog stopped is that run's end, and the next run's
    loadvm brings the machine back: it runs to its own end."""
    from faultinj import bootsaved
    b = bootsaved.BootSavedMachine(bootimage.system(rs="period=20") + [("scenario", "plan")],
                                   append="deadline=30000")
    try:
        k = b.m.kernel
        b.m.gdb.write_memory(k.address("clock_tick"), SPIN)
        b.m.gdb.write_memory(k.address("lockup_nmi"), RET)
        first = b.run([], "kv:10 probe", 30000)
        assert first.error is None and first.end == exitcodes.WATCHDOG and not b.broken
        again = b.run([], "kv:10 probe", 30000)
        assert again.error is None and again.end == exitcodes.HALT and again.restored
    finally:
        b.close()
