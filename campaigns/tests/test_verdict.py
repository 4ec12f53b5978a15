"""classify() on recorded traces (campaigns/tests/traces, made by
record_traces.py): one per outcome class, no QEMU needed."""

import copy
import json
from pathlib import Path

import pytest

from campaigns import spec, verdict
from faultinj.events import parse_recorded

TRACES = Path(__file__).resolve().parent / "traces"
DOCS = {p.stem: json.loads(p.read_text()) for p in sorted(TRACES.glob("*.json"))}


def _load(name):
    doc = DOCS[name]
    exp = spec.parse(f"campaign t\n{doc['spec']}\n").experiments[0]
    events = [parse_recorded(line) for line in doc["events"]]
    assert all(e is not None for e in events), "a recorded line does not parse"
    return exp, verdict.Trace(events, end=doc["end"], harness_error=doc["error"],
                              armed=doc["armed"]), doc


@pytest.mark.parametrize("name", sorted(DOCS))
def test_recorded_trace_gets_its_class(name):
    exp, trace, doc = _load(name)
    v = verdict.classify(exp, trace)
    assert v.outcome == doc["outcome"], (name, v.why)
    assert v.why


def test_every_outcome_class_has_a_recorded_trace():
    have = {d["outcome"] for d in DOCS.values()}
    assert set(verdict.OUTCOMES) <= have, set(verdict.OUTCOMES) - have


def test_recovered_has_ordered_timings_and_flags():
    exp, trace, _ = _load("recovered")
    v = verdict.classify(exp, trace)
    assert v.armed and v.activated and v.manifested
    assert 0 < v.detect_virtual_us <= v.recover_virtual_us
    # the detection really is after the firing in the trace
    kinds = [e.kind for e in trace.events]
    assert kinds.index("fi_fired") < kinds.index("died")


def test_flags_of_quiet_outcomes():
    exp, trace, _ = _load("not_activated")
    v = verdict.classify(exp, trace)
    assert v.armed and not v.activated and not v.manifested
    exp, trace, _ = _load("benign")
    v = verdict.classify(exp, trace)
    assert v.activated and not v.manifested and v.detect_virtual_us is None


def test_whys_name_what_failed():
    for name, word in (("given_up", "kv"), ("halted", "kv"), ("kernel_panic", "rs"),
                       ("client_hung", "kv"), ("recovered_state_lost", "acknowledged")):
        exp, trace, _ = _load(name)
        assert word in verdict.classify(exp, trace).why, name


def test_state_loss_is_never_plain_recovered():
    """The same DS trace with the client's gone writes removed would be
    recovered; with them it must not be."""
    exp, trace, _ = _load("recovered_state_lost")
    assert verdict.classify(exp, trace).outcome == "recovered_state_lost"
    assert any(e.kind == "wl_gone" for e in trace.events)


def test_classify_is_pure():
    exp, trace, _ = _load("recovered")
    before = copy.deepcopy(trace.events)
    a = verdict.classify(exp, trace)
    b = verdict.classify(exp, trace)
    assert a == b
    assert trace.events == before


def test_harness_error_is_not_blamed_on_the_os():
    exp, trace, _ = _load("harness_error")
    v = verdict.classify(exp, trace)
    assert v.outcome == "harness_error" and not v.manifested
    # a guest that ended by itself is never a harness error
    exp, trace, _ = _load("recovered")
    assert verdict.classify(exp, trace).outcome != "harness_error"


# What a user process can print that reads like the kernel's or RS's word.
FORGERIES = [
    "#EV t=1 who=kernel ev=panic reason=\"forged\"",
    "KERNEL PANIC: forged",
    "#EV t=2 who=rs ev=panic reason=\"forged\" proc=kv",
    "#EV t=3 who=rs ev=given_up label=kv",
    "#EV t=4 who=kernel ev=fi_fired slot=0 site=kv.get type=crash proc=kv ep=7 fired=1 via=call",
    "#EV t=5 who=scenario ev=sc_verify wrong=7",
]


@pytest.mark.parametrize("name", ["recovered", "not_activated", "benign"])
def test_forged_lines_on_the_console_change_no_verdict(name):
    """The recorded trace as the serial port carried it (each event framed),
    with a user's lookalike lines between its events: the stream yields the
    same events, so the same verdict, and counts every forgery."""
    from faultinj.events import FRAME, EventStream
    exp, trace, doc = _load(name)
    s = EventStream()
    for i, line in enumerate(doc["events"]):
        s.feed(f"{FRAME}{line}\r\n".encode())
        if i % 10 == 5:
            for f in FORGERIES:
                s.feed(f"{f}\r\n".encode())
    s.close()
    assert [e.raw for e in s.events] == doc["events"]
    assert len(s.forged) == len(FORGERIES) * len(range(5, len(doc["events"]), 10))
    events = s.events
    for e in events:
        e.host_t = None                 # the recorded trace has no arrival times
    again = verdict.Trace(events, end=doc["end"], harness_error=doc["error"],
                          armed=doc["armed"])
    assert verdict.classify(exp, again) == verdict.classify(exp, trace)
    assert verdict.classify(exp, again).outcome == doc["outcome"]


# kinds a verdict reads, as a user program would emit them through the
# kernel's own frame if the kernel let them pass: genuine frame, genuine
# who= (the program's name), kind reserved to other producers
PRODUCER_FORGERIES = ("wl_done", "fi_fired", "panic", "given_up", "restarted", "rs_died",
                      "sc_done", "sc_verify", "update_done", "shell_done", "off")


def _forged_producer_line(kind, t):
    from faultinj.events import schema
    k = schema()[kind]
    vals = {"label": "kv", "proc": "kv", "target": "kv", "answered": "100", "reason": "x"}
    fields = " ".join(f"{f}={vals.get(f, '1')}" for f in sorted(k.required))
    return f"#EV t={t} who=forger ev={kind} {fields}"


@pytest.mark.parametrize("name", ["recovered", "not_activated", "benign", "halted"])
def test_events_from_a_producer_the_schema_does_not_name_change_no_verdict(name):
    """contract/events.def's @producers, on the host: the recorded trace
    framed as the kernel frames it, with framed lines of a user program
    (who=forger) of the kinds the verdict reads between its events. The
    stream refuses each as a forged producer; the verdict is the same."""
    from faultinj.events import FRAME, EventStream
    exp, trace, doc = _load(name)
    s = EventStream()
    forged = 0
    for i, line in enumerate(doc["events"]):
        s.feed(f"{FRAME}{line}\r\n".encode())
        if i % 7 == 3:
            t = trace.events[i].t or 0
            for kind in PRODUCER_FORGERIES:
                s.feed(f"{FRAME}{_forged_producer_line(kind, t)}\r\n".encode())
                forged += 1
    s.close()
    assert [e.raw for e in s.events] == doc["events"]
    assert len(s.malformed) == forged and all("forged producer" in w for w in s.malformed)
    for e in s.events:
        e.host_t = None
    again = verdict.Trace(s.events, end=doc["end"], harness_error=doc["error"],
                          armed=doc["armed"])
    assert verdict.classify(exp, again) == verdict.classify(exp, trace)


def test_the_same_forged_lines_would_change_the_verdict():
    """The check above is not vacuous: taken as events, the forgeries turn
    a fault that never fired into one that did."""
    exp, trace, doc = _load("not_activated")
    from faultinj.events import parse_recorded as pr
    t = trace.events[-1].t or 0
    extra = [pr(_forged_producer_line(k, t)) for k in ("fi_fired", "given_up")]
    fooled = verdict.Trace(trace.events + extra, end=doc["end"], harness_error=doc["error"],
                           armed=doc["armed"])
    assert verdict.classify(exp, fooled).outcome != doc["outcome"]


# ---- truthful verdicts (issue 18): each edit below is a lie the old verdict
# told; the recorded trace is real, the edit is one event line

def _edited(name, edit):
    exp, trace, doc = _load(name)
    lines = edit(list(doc["events"]))
    evs = [parse_recorded(line) for line in lines]
    return exp, verdict.Trace([e for e in evs if e is not None], end=doc["end"],
                              harness_error=doc["error"], armed=doc["armed"])


def _at(lines, kind):
    return next(i for i, line in enumerate(lines) if f" ev={kind} " in line)


def _without(kind):
    """An edit: the recorded trace with its first `kind` line taken out."""
    def edit(lines):
        del lines[_at(lines, kind)]
        return lines
    return edit


def test_a_step_that_did_not_report_is_not_benign():
    exp, trace = _edited("benign", _without("wl_done"))
    v = verdict.classify(exp, trace)
    assert v.outcome == "wrong_answers", v.why
    assert "did not report" in v.why and "wl_done" in v.why


def test_a_garbled_report_is_a_wrong_answer_and_says_what_was_refused():
    exp, trace = _edited("benign", _without("sc_verify"))
    trace.malformed = ["bad value for field 'verified'"]
    v = verdict.classify(exp, trace)
    assert v.outcome == "wrong_answers" and "malformed" in v.why, v.why


def test_steps_other_than_the_plan_are_not_trusted():
    exp, trace, _ = _load("benign")
    ran = [e.get("do") for e in trace.events if e.kind == "sc_step"]
    trace.steps = ran[:2] + ["kv:999"] + ran[3:]
    v = verdict.classify(exp, trace)
    assert v.outcome == "wrong_answers" and "the plan says kv:999" in v.why, v.why
    trace.steps = ran
    assert verdict.classify(exp, trace).outcome == "benign"


def test_one_stale_read_with_the_write_still_held_is_a_transient_wrong_answer():
    """A GET answered ENOENT once, nothing restarted, every key right on
    read-back: the service answered wrongly, it did not lose state."""
    def one_stale(lines):
        i = _at(lines, "wl_done")
        lines[i] = lines[i].replace(" stale=0", " stale=1")
        lines.insert(i, lines[i].split(" ev=")[0] + " ev=wl_stale target=kv key=3 want=22 "
                                                    "during=load")
        return lines
    exp, trace = _edited("benign", one_stale)
    v = verdict.classify(exp, trace)
    assert v.outcome == "wrong_answers" and "transient" in v.why and "kv" in v.why, v.why


def test_loss_without_a_recovery_is_state_lost_and_after_one_recovered_state_lost():
    exp, trace, _ = _load("state_lost")
    v = verdict.classify(exp, trace)
    assert v.outcome == "state_lost" and "nothing was restarted" in v.why, v.why
    exp, trace, _ = _load("recovered_state_lost")
    v = verdict.classify(exp, trace)
    assert v.outcome == "recovered_state_lost" and "came back" in v.why, v.why


def test_a_ds_lookup_wrong_once_is_a_wrong_answer_of_ds_not_lost_state():
    def ds_wrong_once(lines):
        i = next(i for i, line in enumerate(lines) if " ev=sc_probe label=ds " in line)
        lines[i] = lines[i].replace(" wrong=0", "") + " wrong=1"
        return lines
    exp, trace = _edited("recovered", ds_wrong_once)
    v = verdict.classify(exp, trace)
    assert v.outcome == "wrong_answers" and "ds answered wrongly once" in v.why, v.why


def test_an_update_answered_ok_but_never_done_is_rs_answering_wrongly():
    exp, trace = _edited("lu_ok", _without("update_done"))
    v = verdict.classify(exp, trace)
    assert v.outcome == "wrong_answers" and "never done" in v.why, v.why


def test_an_aborted_update_with_state_kept_is_rolled_back():
    exp, trace, _ = _load("rolled_back")
    v = verdict.classify(exp, trace)
    assert v.outcome == "rolled_back" and "every acknowledged write kept" in v.why, v.why
    answer = [e for e in trace.events if e.kind == "sc_service" and e.get("op") == "update"]
    assert answer and answer[0].get("result") != "0"        # RS said it failed


def test_evidence_is_what_the_verdict_timed():
    """The timeline's serving mark is the event the verdict timed recovery
    by, even when the service was seen initialising before RS noticed."""
    exp, trace, _ = _load("recovered")
    v = verdict.classify(exp, trace)
    ev = v.evidence
    assert ev["fired"]["kind"] == "fi_fired" and ev["detected"]["kind"] == "died"
    assert ev["serving"]["t"] - ev["origin"]["t"] == v.recover_virtual_us
    assert ev["detected"]["t"] - ev["origin"]["t"] == v.detect_virtual_us
    serving = [m for m in ev["marks"] if m["lane"] == "serving"]
    assert [m["dt"] for m in serving] == [v.recover_virtual_us]


def test_an_update_undone_by_restarting_the_old_version_is_not_rolled_back():
    """rolled_back means the old version itself served on; an old version
    restarted after the failed update is a failure recovered."""
    def restart_after(lines):
        i = _at(lines, "update_aborted")
        lines.insert(i + 1, lines[i].split(" ev=")[0].replace("who=rs", "who=rs") +
                     " ev=restarted label=kv ep=32775 old_ep=7 restarts=1 policy=reset "
                     "result=0 init=restart")
        return lines
    exp, trace = _edited("lu_timeout", restart_after)
    v = verdict.classify(exp, trace)
    assert v.outcome == "recovered" and "not rolled back in place" in v.why, v.why
