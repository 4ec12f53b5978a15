"""campaigns/minimize.py's search on a made-up system (a function from an
experiment to a record, no machine): it keeps the signature, shrinks the
trigger, the steps and the load, never reruns a candidate, stops at its
budget with the best found so far, and refuses an original that does not
fail as asked. The real runs are tests/test_minimize_e2e.py's."""

import pytest

from campaigns import minimize, scenario, spec
from campaigns.signature import signature


def rec(outcome, event="escalate", site="kv.put"):
    return {"outcome": outcome, "activated": outcome != "not_activated",
            "ok": outcome in ("recovered", "benign"), "site": site,
            "evidence": {"divergence": {"label": event}}}


def made_up(exp):
    """given_up once kv crashed K >= 5 times, with at least 3 requests after
    the fault went live and a watch step; recovered below; nothing fires
    without a request."""
    words = scenario.plan(exp).steps
    live = words.index("step:1")
    after = sum(int(w.split(":")[1]) for w in words[live:] if w.startswith("kv:"))
    if after == 0:
        return rec("not_activated")
    if exp.trigger.value >= 5 and after >= 3 and any(w.startswith("watch:") for w in words):
        return rec("given_up")
    return rec("recovered")


def counted(fn):
    ran = []

    def run(exp):
        ran.append(exp.id)
        return fn(exp)
    return run, ran


C = spec.parse("campaign t\nseed 3\nkv crash trigger=times:30\n")


def test_shrinks_trigger_steps_and_load_keeping_the_signature():
    run, ran = counted(made_up)
    m = minimize.minimize(C.experiments[0], C, run, budget=100, progress=lambda s: None)
    best = m["exp"]
    assert best.trigger == spec.Trigger("times", 5)
    words = best.steps.split("+")
    # the fill, the verifies, the probe and the requests after go; one
    # workload step of exactly 3 requests and the watch stay
    assert words[0] == "step:1" and words.count("step:1") == 1
    assert [w for w in words if w.startswith("kv:")] == ["kv:3"]
    assert any(w.startswith("watch:") for w in words) and "probe" not in words
    assert len(words) == 3 and minimize.load_of(words) == 3
    assert tuple(signature(m["record"])) == ("given_up", "escalate", "kv.put")
    assert len(ran) == len(set(ran)) == m["runs"] <= 100     # never the same run twice
    assert m["exhausted"] is None and m["candidates"][0]["phase"] == "original"


def test_the_result_is_a_run_that_gave_the_signature_even_where_not_monotone():
    # fails at K = 2 and at K >= 9, not between: halving 1..30 never sees 2
    def bumpy(exp):
        k = exp.trigger.value
        return rec("given_up") if k == 2 or k >= 9 else rec("recovered")
    m = minimize.minimize(C.experiments[0], C, bumpy, budget=100, progress=lambda s: None)
    assert m["exp"].trigger.value == 9
    assert bumpy(m["exp"])["outcome"] == "given_up"


def test_budget_keeps_the_best_so_far():
    run, ran = counted(made_up)
    m = minimize.minimize(C.experiments[0], C, run, budget=4, progress=lambda s: None)
    assert m["runs"] == len(ran) == 4 and m["exhausted"] == "trigger"
    # times:30 (original), 15 (yes), 8 (yes), 4 (no): the best is times:8
    assert m["exp"].trigger.value == 8 and m["record"]["outcome"] == "given_up"
    assert "budget of 4 runs spent in the trigger pass" in m["note"]


def test_refuses_what_does_not_fail_as_asked():
    with pytest.raises(minimize.NotReproduced, match="came out recovered, not a failure"):
        minimize.minimize(C.experiments[0], C, lambda e: rec("recovered"), progress=lambda s: None)
    with pytest.raises(minimize.NotReproduced, match="now fails with given_up / escalate / "
                                                     "kv.put, not the halted"):
        minimize.minimize(C.experiments[0], C, made_up, ("halted", "escalate", "kv.put"),
                          progress=lambda s: None)


def test_a_probability_trigger_keeps_its_seed():
    c = spec.parse("campaign t\nseed 3\nkv crash trigger=prob:0.5\n")
    e = c.experiments[0]
    seen = []

    def run(exp):
        seen.append(c.seed_for(exp))
        return made_up(spec.Experiment(**{**exp.__dict__, "trigger": spec.Trigger("times", 9)}))
    m = minimize.minimize(e, c, run, budget=40, progress=lambda s: None)
    assert m["exp"].trigger == e.trigger and m["exp"].seed == c.seed_for(e)
    assert set(seen) == {c.seed_for(e)}
