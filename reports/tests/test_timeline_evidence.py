# Where the report's timeline and the verdict used to disagree: the report
# once picked its own detection and serving events from the trace, so a
# service seen initialising after the fault fired but before RS noticed it
# (another instance of the same label starting, an init recorded from an
# earlier restart) was drawn as "serving again" earlier than the recovery
# the verdict timed. The timeline now draws the verdict's evidence: its
# detected and serving marks are exactly detect_virtual_us and
# recover_virtual_us, for records made by runner.reclassify and by classify.

import json
from pathlib import Path

import pytest

from campaigns import runner, spec, verdict
from campaigns.tests import synthetic as S
from reports import survival
from reports import timeline as tlsvg

TRACES = Path(__file__).resolve().parents[2] / "campaigns" / "tests" / "traces"


def _early_init(lines, svc="kv"):
    """lines with an init_result result=0 of svc right after the fault
    fired, before RS's detection: another instance of the label finishing
    its init (ep 40000, not the victim's)."""
    i = next(k for k, x in enumerate(lines) if " ev=fi_fired " in x)
    t = int(lines[i].split()[1][2:])
    det = next(x for x in lines[i:] if " ev=died " in x)
    assert int(det.split()[1][2:]) > t + 2, "no room for an event between fault and detection"
    early = S.ev(t + 2, "rs", "init_result", label=svc, ep=40000, type="fresh", result=0)
    return lines[:i + 1] + [early] + lines[i + 1:]


def _recorded():
    """The real recorded kv crash, with the early init, as a journal record
    that runner.reclassify judges again (what the engine's report does)."""
    doc = json.loads((TRACES / "recovered.json").read_text())
    exp = spec.parse(f"campaign t\n{doc['spec']}\n").experiments[0]
    rec = dict(exp.as_dict(), events=_early_init(doc["events"]), end=doc["end"],
               error=doc["error"], armed_slots=[{"slot": 0}] if doc["armed"] else [])
    return runner.reclassify(exp, rec)


def _classified():
    """A synthetic crash with the early init, judged by classify directly."""
    exp = spec.parse("campaign t\nkv crash site=kv.put\n").experiments[0]
    lines = _early_init(S.recovered(t0=21000))
    v = verdict.classify(exp, verdict.Trace.from_lines(lines, end="halt"))
    return dict(exp.as_dict(), events=lines, end="halt", **v.as_dict())


@pytest.mark.parametrize("make", [_recorded, _classified])
def test_timeline_marks_are_the_verdicts_times(make):
    rec = make()
    assert rec["outcome"] == "recovered", rec["why"]
    assert rec["detect_virtual_us"] is not None and rec["recover_virtual_us"] is not None
    # the early init really is there, between the fault and the detection
    assert 0 < rec["detect_virtual_us"] < rec["recover_virtual_us"]
    tl = survival.timeline(rec)
    lanes = {lane: [m["dt"] for m in tl["marks"] if m["lane"] == lane]
             for lane in ("detected", "serving")}
    assert lanes["serving"] == [rec["recover_virtual_us"]]
    assert lanes["detected"] == [rec["detect_virtual_us"]]
    assert (tl["detect_us"], tl["recover_us"]) == (rec["detect_virtual_us"],
                                                   rec["recover_virtual_us"])
    # and the picture says so: each lane's first time is the verdict's
    svg = tlsvg.draw(tl)
    assert f"+{tlsvg.fmt_us(rec['recover_virtual_us'])}" in svg
    assert "+2 µs" not in svg
