"""Resume is correct: a journal of another build, harness or spec is set
aside; harness errors are rerun; torn lines are reported by number."""

import json
import os

from campaigns import engine, spec
from campaigns.journal import Journal

SPEC = "campaign r\nkv crash\nkv hang\necho crash\n"


def _journal(tmp_path, records, tail=b""):
    p = tmp_path / "journal.jsonl"
    with open(p, "wb") as f:
        for r in records:
            f.write(json.dumps(r).encode() + b"\n")
        f.write(tail)
    return Journal(str(p))


def test_harness_errors_and_missing_are_pending(tmp_path):
    c = spec.parse(SPEC)
    ids = c.ids()
    j = _journal(tmp_path, [{"id": ids[0], "outcome": "recovered"},
                            {"id": ids[1], "outcome": "harness_error", "error": "qemu wedged"}])
    pending = [e.id for e in j.pending(c, rerun_errors=True)]
    assert pending == [ids[1], ids[2]]
    # a rerun that succeeds replaces the error: the latest record wins
    j.record({"id": ids[1], "outcome": "recovered", "error": None})
    assert [e.id for e in j.pending(c, rerun_errors=True)] == [ids[2]]


def test_torn_lines_are_reported_with_their_numbers(tmp_path):
    j = _journal(tmp_path, [{"id": "a", "outcome": "recovered"}, {"id": "b", "outcome": "benign"}],
                 tail=b'{"id": "c", "outc')
    with open(j.path, "ab") as f:
        pass
    recs = j.records()
    assert [r["id"] for r in recs] == ["a", "b"]
    assert j.bad_lines and j.bad_lines[0][0] == 3


def _run(tmp_path, text=SPEC):
    s = tmp_path / "r.spec"
    s.write_text(text)
    return engine.open_run(engine.Settings(spec=str(s), out=str(tmp_path / "out")))


def test_other_fingerprint_sets_journal_aside(tmp_path):
    run = _run(tmp_path)
    run.out.mkdir(parents=True)
    run.journal.record({"id": run.experiments[0].id, "outcome": "recovered",
                        "build": run.fingerprint})
    assert engine.start_journal(run) is False          # same build: resumed
    assert len(run.journal.results()) == 1
    run.fingerprint = "changed-spec-or-build"
    assert engine.start_journal(run) is True           # anything changed: afresh
    assert run.journal.results() == []
    assert os.path.exists(str(run.out / "journal.jsonl.old"))


def test_fingerprint_covers_spec_build_and_harness(tmp_path):
    a = _run(tmp_path).fingerprint
    assert _run(tmp_path, SPEC + "echo hang\n").fingerprint != a
