"""A spec line's own scenario steps (steps=, campaigns/steps.py): checked
word by word at parse time, part of the id, run exactly as given, and a
list without the step where the fault goes live is refused by the check."""

import pytest

from campaigns import check, scenario, spec
from campaigns.tests.test_check import SITES


def one(line):
    return spec.parse("campaign x\n" + line + "\n", "s.spec").experiments[0]


def test_steps_are_the_plan_and_part_of_the_id():
    e = one("kv crash trigger=times:7 steps=kv:3+step:1+kv:5+verify:kv")
    assert scenario.plan(e).steps == ["kv:3", "step:1", "kv:5", "verify:kv"]
    assert e.id == "kv-crash-times:7-steps=kv:3+step:1+kv:5+verify:kv"
    assert e.to_line() == "kv crash trigger=times:7 expect=recovered steps=kv:3+step:1+kv:5+verify:kv"
    again = spec.parse(spec.dump(spec.Campaign("x", [e]))).experiments[0]
    assert again == e and spec.Experiment.from_record(e.as_dict()) == e
    # the planned ones when the line has none
    assert scenario.plan(one("kv crash")).steps[:3] == ["kv:40", "step:1", "kv:100"]


@pytest.mark.parametrize("value,problem", [
    ("kv:40+jump:3", "unknown step 'jump:3'"),
    ("kv:x", "bad count in step 'kv:x'"),
    ("kv", "step 'kv' needs a value"),
    ("probe:1", "step 'probe:1' takes no value"),
    ("kv:1++step:1", "empty step"),
    ("verify:ds", "verify takes kv or echo"),
    ("period:0+kv:1+step:1", "bad count in step 'period:0' (1..1000)"),
    ("period:1001+kv:1+step:1", "bad count in step 'period:1001' (1..1000)"),
])
def test_bad_steps_are_refused_at_their_line(value, problem):
    with pytest.raises(spec.SpecError) as ei:
        spec.parse(f"campaign x\nkv crash\nkv crash steps={value}\n", "s.spec")
    assert str(ei.value).startswith("s.spec:3: ") and problem in str(ei.value), str(ei.value)


def test_a_period_is_set_at_the_plan_point_unless_the_boot_runs_a_fault():
    """One machine booted on the default period serves every period: the
    plan's first step sets it (period:N). A fault armed at the boot hook
    runs during the boot, so that boot has the experiment's period."""
    from campaigns import runner
    p = scenario.plan(one("kv hang period=5"))
    assert p.steps[0] == "period:5" and p.boot_period == scenario.DEFAULT_PERIOD
    assert p.own_steps == p.steps[1:]
    q = scenario.plan(one("echo crash"))
    assert not q.steps[0].startswith("period:") and q.own_steps == q.steps
    assert runner.boot_config(p)[0] == runner.boot_config(q)[0]       # the same machine
    b = scenario.plan(one("kv init_fail period=5"))
    assert b.boot_period == 5 and not b.steps[0].startswith("period:")
    assert ("rs", "period=5") in runner.boot_config(b)[0]
    # a line's own steps get it too, and a reproducer's steps= stay its own
    s = scenario.plan(one("kv hang period=5 steps=kv:3+step:1+watch:30"))
    assert s.steps == ["period:5", "kv:3", "step:1", "watch:30"]
    assert s.own_steps == ["kv:3", "step:1", "watch:30"]


def test_steps_without_the_live_step_are_refused():
    c = spec.parse("campaign x\nkv crash steps=kv:4+kv:5\n", "c.spec")
    with pytest.raises(spec.SpecError) as ei:
        check.check_campaign(c, SITES)
    assert str(ei.value) == "c.spec:2: steps=kv:4+kv:5 has no step:1, where the fault goes live"
    # a boot service's init failure is armed at boot: no step needed
    check.check_campaign(spec.parse("campaign x\nkv init_fail steps=kv:4\n"), SITES)
