"""Idle ticks at which nothing is due are skipped (os/kernel/tickless.c):
a run takes far fewer clock interrupts than it has ticks, and it is the
same run as with every tick taken (tickless=0): the same events in the
same order with the same fields, the same verdict; only the virtual times
move, by the few instructions where the PIT starts its period again."""

import struct

import pytest

from campaigns import runner, scenario, spec
from campaigns.verdict import Trace, classify
from faultinj.planned import PlannedMachine

SPEC = """campaign tickless
seed 5
timeout 30
kv    crash       trigger=nth:20
ds    hang        trigger=nth:5 period=5
kv    delay       site=sef.ping trigger=nth:3 arg=100000
rs    crash       site=rs.request trigger=nth:3
kv    lu_timeout
kv    init_fail
"""


def _word(m, name):
    return struct.unpack("<I", m.gdb.read_memory(m.kernel.address(name), 4))[0]


def _run(exp, c, extra):
    plan = scenario.plan(exp, c)
    mods, append, boot_arm, plan_arm = runner.boot_config(plan)
    m = PlannedMachine(mods, append=" ".join(a for a in (append, extra) if a), boot_arm=boot_arm)
    try:
        r = m.run(plan.scenario_args, plan.deadline_ms, plan_arm)
        assert r.error is None, r.error
        ticks, irqs = _word(m, "ticks"), _word(m, "clock_irqs")
    finally:
        m.close()
    v = classify(exp, Trace(r.events, end=r.end, armed=bool(plan.arm), steps=list(plan.steps)))
    return r, v, ticks, irqs


def _untimed(events):
    return [{k: v for k, v in e.fields.items() if k != "t"} for e in events]


@pytest.mark.parametrize("exp_id", [e.id for e in spec.parse(SPEC, "t.spec").experiments])
def test_skipped_ticks_change_nothing_but_the_times(os_built, exp_id):
    c = spec.parse(SPEC, "t.spec")
    exp = c.get(exp_id)
    every, v_every, ticks_every, irqs_every = _run(exp, c, "tickless=0")
    skip, v_skip, ticks_skip, irqs_skip = _run(exp, c, "")
    assert irqs_every == ticks_every            # tickless=0: an interrupt a tick
    if ticks_every > 40:                        # the run idles: a third or more skipped
        assert irqs_skip <= ticks_skip * 2 // 3, (irqs_skip, ticks_skip)
    assert abs(ticks_skip - ticks_every) <= 1, (ticks_skip, ticks_every)
    assert _untimed(skip.events) == _untimed(every.events)
    assert skip.end == every.end
    assert (v_skip.outcome, v_skip.why) == (v_every.outcome, v_every.why)


def test_a_one_shot_the_pit_does_not_confirm_is_no_skip(os_built):
    """The HPET stands still only while a one-shot the PIT confirmed runs
    (clock.c reads its mode back, and checks the PIC lets IRQ0 through):
    with that check failing every time (its branch flipped), every skip is
    refused, the PIT is periodic again at once, and the run is an ordinary
    run with every tick taken. Seen failing (the clock stopped, a panic)
    with the refusal not restarting the PIT, and with the idle loop trying
    again after each NMI (each try began the PIT's period anew)."""
    c = spec.parse("campaign t\nseed 1\ntimeout 30\n"
                   "kernel flip_branch site=clock_skip#2 trigger=times:1000000 workload=kv\n", "t.spec")
    exp = c.experiments[0]
    r, v, ticks, irqs = _run(exp, c, "")
    fired = [e for e in r.events if e.kind == "fi_fired"]
    assert fired and irqs == ticks and ticks > 40, (len(fired), irqs, ticks)
    assert r.end == "halt" and v.outcome == "benign", (r.end, v.outcome, v.why)
