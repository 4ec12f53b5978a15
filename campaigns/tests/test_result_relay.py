"""The controller's side of results coming home in test reports
(campaigns/result_relay.py): a result is journaled once, whether a worker
on this machine wrote it already or it came from another machine."""

import json
from types import SimpleNamespace

from campaigns import result_relay
from campaigns.journal import Journal


def result(i, outcome="recovered", **kw):
    return dict(id=i, outcome=outcome, ok=True, events=["a", "b"], host_seconds=0.123, **kw)


def report(res=None, when="call", passed=True, nodeid="t::test_experiment[x]"):
    props = []
    if res is not None:
        result_relay.attach(lambda n, v: props.append((n, v)), res)
    return SimpleNamespace(when=when, passed=passed, nodeid=nodeid, user_properties=props)


def test_result_rides_on_the_report_and_comes_back_equal():
    r = result("kv-crash-nth:1", phases={"run": 0.5}, armed_slots=[(1, 2)])
    back = result_relay.result_of(report(r))
    assert back == json.loads(json.dumps(r))
    assert result_relay.result_of(report()) is None


def test_journaled_once_whoever_wrote_it(tmp_path):
    j = Journal(str(tmp_path / "journal.jsonl"))
    home = result_relay.Home(j)
    local = result("a")
    j.record(local)                         # a worker on this machine wrote it
    assert not home.take(json.loads(json.dumps(local)))
    assert home.take(result("b"))           # from another machine: written here
    assert not home.take(result("b"))
    j.record(result("c"))                   # appended after the first read
    assert not home.take(result("c"))
    assert home.take(result("c", outcome="halted"))     # a new result of the same id
    assert not home.take(dict(result("d"), reused=True))
    assert [r["id"] for r in j.records()] == ["a", "b", "c", "c"]


def test_torn_line_and_replaced_journal(tmp_path):
    path = tmp_path / "journal.jsonl"
    j = Journal(str(path))
    home = result_relay.Home(j)
    j.record(result("a"))
    with open(path, "ab") as f:
        f.write(b'{"id": "b", "outc')      # a writer in the middle of its line
    assert home.take(result("z"))           # ends the torn line, then writes
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps(result("q")) + "\n")
    new.replace(path)                       # set aside and begun again
    assert not home.take(result("q"))


def test_a_pass_without_a_result_is_remembered(tmp_path):
    home = result_relay.Home(Journal(str(tmp_path / "j.jsonl")))
    home.report(report(when="setup"))
    home.report(report(passed=False))       # a failure fails the run anyway
    home.report(report())
    assert home.without_result == ["t::test_experiment[x]"]
    home.report(report(result("a")))
    assert [r["id"] for r in home.journal.records()] == ["a"]
