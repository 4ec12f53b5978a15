# The rules of the verdict's evidence (campaigns/evidence.py) that the report
# once restated and now only renders: the first divergence from a normal
# recovery (from the fault firing on), the abnormal events among normal
# kinds, and a normal set taken from a reference trace.

from campaigns import evidence
from campaigns.tests import synthetic as S
from campaigns.verdict import Trace


def _evs(lines):
    return Trace.from_lines(lines).events


def _div(lines, normal=evidence.NORMAL_KINDS):
    """first_divergence from the first fi_fired, as the verdict asks it
    (start -1 when no fault fired: the whole trace)."""
    evs = _evs(lines)
    start = next((i for i, e in enumerate(evs) if e.kind == "fi_fired"), -1)
    return evidence.first_divergence(evs, start, normal)


def test_first_divergence():
    assert _div(S.recovered()) == ("none", None)
    label, e = _div(S.wrong_answers())
    assert label == "wl_wrong" and e.kind == "wl_wrong"
    assert _div(S.kernel_panic())[0] == "panic"
    assert _div(S.hung())[0] == "stuck"
    assert _div(S.given_up())[0] == "escalate"
    assert _div(S.state_lost())[0] == "sc_probe:lost"
    # a normal kind that says it failed
    lines = S._head(100) + [S.fired(100, "kv", "init_fail", "sef.init"),
                            S.ev(110, "rs", "init_result", label="kv", ep=7, type="fresh",
                                 result=-22)]
    assert _div(lines)[0] == "init_result:failed"
    lost = [x.replace("lost=0", "lost=3") for x in S.recovered()]
    assert _div(lost)[0] == "wl_done:lost"
    gone = [x.replace("stale=0", "stale=0 gone=2") for x in S.recovered()]
    assert _div(gone)[0] == "wl_done:gone"
    assert evidence.first_divergence([], -1) == ("none", None)


def test_first_divergence_starts_after_the_given_index():
    # events before the fault do not count: here a stray one sits before it
    early = [S.ev(1, "kernel", "stuck", proc="x", ep=1, rts=0, sendto="-", getfrom="-")]
    assert _div(early + S.recovered())[0] == "none"
    # with no fault fired (start -1) the whole trace is looked at
    evs = _evs(early + S.recovered())
    assert evidence.first_divergence(evs, -1)[0] == "stuck"


def test_abnormal_events_among_normal_kinds():
    e = _evs([S.ev(5, "scenario", "sc_probe", label="kv", result=0, answer=0, state="ok",
                   wrong=1)])[0]
    assert evidence.abnormal(e) == "wrong"
    e = _evs([S.ev(5, "rs", "restarted", label="kv", ep=9, old_ep=7, restarts=1,
                   policy="reset", result=-5, init="restart")])[0]
    assert evidence.abnormal(e) == "failed"
    assert evidence.abnormal(_evs(S.recovered())[-1]) is None


def test_first_divergence_against_a_reference_trace():
    normal = evidence.reference_kinds(S.recovered())
    assert {"fi_fired", "died", "restarted", "init_result"} <= normal
    assert evidence.reference_kinds(_evs(S.recovered())) == normal     # lines or Events
    # a hang is seen by a missed ping, which the crash's reference never showed
    hang = [x.replace("ev=died", "ev=ping_missed").replace(" sigmap=0x800 how=signal", " since=10")
            for x in S.recovered()]
    assert _div(hang)[0] == "none"
    assert _div(hang, normal)[0] == "ping_missed"
