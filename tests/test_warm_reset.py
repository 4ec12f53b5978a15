"""The kernel's warm reset (os/kernel/warm.c): a campaign machine comes back
to the plan point by copying back only the frames a run changed, as the
CPU's dirty bits and the page tables name them. With warm=verify the kernel
also compares every other frame of the OS's RAM with its copy after each
reset and counts those that differ: a frame a run changed that the reset
would have missed. Across every kind of fault the campaigns inject (the
default campaign, live updates, a sample of EDFI faults at automatic sites
of the kernel and the services), that count must stay 0; and the runs of a
warm-reset machine must give the traces of freshly booted ones
(tests/test_determinism.py checks the latter for the pool)."""

from collections import OrderedDict

import pytest

from campaigns import runner, scenario, spec
from faultinj.planned import PlannedMachine

EDFI_SAMPLE = 60


def _experiments():
    out = []
    for name, limit in (("default", None), ("lu", None), ("edfi-ci", EDFI_SAMPLE)):
        c = spec.load(f"campaigns/specs/{name}.spec")
        exps = list(c.experiments)[:limit]
        out += [(c, e) for e in exps]
    return out


def _groups():
    """Experiments by boot configuration, as the machine pool keys them;
    those armed at boot never run on a reset machine."""
    groups = OrderedDict()
    for c, e in _experiments():
        plan = scenario.plan(e, c)
        mods, _append, boot_arm, plan_arm = runner.boot_config(plan)
        if boot_arm:
            continue
        key = tuple(m if isinstance(m, str) else tuple(m) for m in mods)
        groups.setdefault(key, (mods, []))[1].append((e, plan, plan_arm))
    return groups


@pytest.mark.timeout(1500)
def test_a_warm_reset_misses_no_frame_a_run_changed(os_built):
    resets, checked, gone = 0, [], []
    for mods, runs in _groups().values():
        m = PlannedMachine(mods, snapshot=True, reset="warm", warm="warm=verify", limit=120)
        try:
            for e, plan, plan_arm in runs:
                r = m.run(plan.scenario_args, plan.deadline_ms, plan_arm)
                assert r.error is None, (e.id, r.error)
                if r.restored and not m.broken:
                    s = m.warm_stats()
                    resets += 1
                    checked.append((e.id, s))
                    assert s["missed"] == 0, (
                        f"the warm reset before {e.id} missed {s['missed']} changed frames")
                    assert s["frames"] > 0, e.id
                if m.broken:                 # the run ended QEMU: the next boots anew
                    gone.append((e.id, m.broken))
                    m.close()
                    m = PlannedMachine(mods, snapshot=True, reset="warm", warm="warm=verify",
                                       limit=120)
        finally:
            m.close()
    assert resets >= 100, f"only {resets} warm resets were checked"
    # a machine is lost only where the run itself ended QEMU (a reset of
    # the machine), never by a failed warm reset
    assert not [g for g in gone if "warm reset" in g[1]], gone


def _kv_crash_machine():
    """A warm machine for one kv crash experiment, with its plan and faults."""
    c = spec.parse("campaign w\nseed 1\ntimeout 30\nkv crash trigger=nth:20\n", "w.spec")
    plan = scenario.plan(c.experiments[0], c)
    mods, _, _, plan_arm = runner.boot_config(plan)
    return PlannedMachine(mods, snapshot=True, reset="warm"), plan, plan_arm


def test_a_machine_resets_warm_without_loadvm(os_built):
    """The pool's machine comes back by the kernel's reset: no monitor, no
    snapshot image, and the next run's trace is the first run's."""
    m, plan, plan_arm = _kv_crash_machine()
    try:
        assert m.mon is None and m._img is None
        a = m.run(plan.scenario_args, plan.deadline_ms, plan_arm)
        b = m.run(plan.scenario_args, plan.deadline_ms, plan_arm)
        assert a.end == b.end == "halt" and not a.restored and b.restored and m.warm_resets == 2
        assert [ev.raw for ev in a.events] == [ev.raw for ev in b.events]
    finally:
        m.close()


def test_a_failed_warm_reset_keeps_the_runs_own_end(os_built):
    """A run that ended but whose machine could not reset (here the kernel's
    record of its save is wiped at the plan point, so it ends the machine
    instead) is judged by its own last line, not by QEMU's exit; the machine
    is dropped, and the next run boots anew."""
    m, plan, plan_arm = _kv_crash_machine()
    try:
        m.gdb.write_memory(m.kernel.address("warm_saved"), b"\0\0\0\0")
        r = m.run(plan.scenario_args, plan.deadline_ms, plan_arm)
        assert r.end == "halt" and r.error is None
        assert m.broken and "warm reset failed" in m.broken
    finally:
        m.close()
