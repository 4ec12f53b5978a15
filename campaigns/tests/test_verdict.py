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
    """The same DS trace with the client's stale reads removed would be
    recovered; with them it must not be."""
    exp, trace, _ = _load("recovered_state_lost")
    assert verdict.classify(exp, trace).outcome == "recovered_state_lost"
    assert any(e.kind == "wl_stale" for e in trace.events)


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
    "#EV t=4 who=kernel ev=fi_fired slot=0 site=kv.get type=crash proc=kv ep=7 fired=1",
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
