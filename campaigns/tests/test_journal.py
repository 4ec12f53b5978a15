# Unit tests of campaigns/journal.py: records, last-wins, resume (pending),
# torn lines from killed writers, and concurrent appends from processes.

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from campaigns import spec
from campaigns.journal import Journal

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _result(i, outcome="recovered", **kw):
    r = {"id": f"kv-crash-nth:{i}", "service": "kv", "fault": "crash", "outcome": outcome,
         "expected": "recovered", "ok": outcome == "recovered", "events": [f"#EV t={i} ev=x"],
         "error": None}
    r.update(kw)
    return r


def test_missing_file_is_empty(tmp_path):
    j = Journal(str(tmp_path / "nope.jsonl"))
    assert j.results() == [] and j.done_ids() == set() and j.skipped == 0


def test_record_and_read_back(tmp_path):
    path = tmp_path / "sub" / "dir" / "j.jsonl"   # parent directories are made
    j = Journal(str(path))
    j.record(_result(1))
    j.record(_result(2, "failed", events=["a \"quoted\"\nline", "ünïcode \x00"]))
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3       # one line per record
    res = j.results()
    assert [r["id"] for r in res] == ["kv-crash-nth:1", "kv-crash-nth:2"]
    assert res[1]["events"] == ["a \"quoted\"\nline", "ünïcode \x00"]
    assert j.done_ids() == {"kv-crash-nth:1", "kv-crash-nth:2"}
    # a second Journal on the same file sees the same
    assert Journal(str(path)).results() == res


def test_last_record_per_id_wins(tmp_path):
    j = Journal(str(tmp_path / "j.jsonl"))
    j.record(_result(1, "failed"))
    j.record(_result(2))
    j.record(_result(1, "recovered", host_seconds=3.5))
    res = j.results()
    assert [r["id"] for r in res] == ["kv-crash-nth:1", "kv-crash-nth:2"]
    assert res[0]["outcome"] == "recovered" and res[0]["host_seconds"] == 3.5
    assert len(j.records()) == 3


def test_record_needs_an_id(tmp_path):
    j = Journal(str(tmp_path / "j.jsonl"))
    with pytest.raises(ValueError):
        j.record({"outcome": "recovered"})
    with pytest.raises(ValueError):
        j.record({"id": ""})


def test_truncated_last_line_is_ignored_and_repaired(tmp_path):
    path = tmp_path / "j.jsonl"
    j = Journal(str(path))
    j.record(_result(1))
    j.record(_result(2))
    full = json.dumps(_result(3))
    with open(path, "ab") as f:                 # a writer killed mid-line
        f.write(full[: len(full) // 2].encode())
    assert [r["id"] for r in j.results()] == ["kv-crash-nth:1", "kv-crash-nth:2"]
    assert j.skipped == 1
    j.record(_result(4))                        # must not be glued to the torn line
    assert [r["id"] for r in j.results()] == ["kv-crash-nth:1", "kv-crash-nth:2", "kv-crash-nth:4"]
    assert j.skipped == 1


def test_garbage_lines_are_skipped(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"id": "a", "outcome": "recovered"}\n'
                     b'not json\n[1, 2]\n{"no_id": 1}\n{"id": 5}\n\xff\xfe\n\n'
                     b'{"id": "b"}\n')
    j = Journal(str(path))
    assert [r["id"] for r in j.results()] == ["a", "b"]
    assert j.skipped == 5


def test_pending_resumes_a_campaign(tmp_path):
    c = spec.parse("campaign x\nkv crash\nkv hang\necho crash\necho hang\n")
    j = Journal(str(tmp_path / "j.jsonl"))
    assert j.pending(c) == c.experiments
    for e in c.experiments[:2]:
        j.record({**e.as_dict(), "outcome": "recovered", "error": None})
    j.record({**c.experiments[2].as_dict(), "outcome": "failed", "error": "qemu did not start"})
    assert [e.id for e in j.pending(c)] == ["echo-hang-nth:1"]
    assert [e.id for e in j.pending(c, rerun_errors=True)] == ["echo-crash-nth:1", "echo-hang-nth:1"]
    # ids that are not in the campaign do not matter
    j.record({"id": "other"})
    assert [e.id for e in j.pending(c.experiments)] == ["echo-hang-nth:1"]


def _writer(path, worker, n):
    j = Journal(path)
    for i in range(n):
        # every third record is far larger than PIPE_BUF (4096)
        big = "x" * (20000 + worker * 7 + i) if i % 3 == 0 else ""
        j.record({"id": f"w{worker}-{i}", "worker": worker, "i": i, "pad": big,
                  "events": [f"line {k} of {worker}/{i}" for k in range(5)]})


def test_concurrent_appends_from_processes(tmp_path):
    path = str(tmp_path / "j.jsonl")
    workers, n = 6, 40
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, n)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == workers * n
    for line in lines[:-1]:
        rec = json.loads(line)                   # no garbled line
        w, i = rec["worker"], rec["i"]
        assert rec["id"] == f"w{w}-{i}"
        assert len(rec["pad"]) == (20000 + w * 7 + i if i % 3 == 0 else 0)
        assert rec["events"][4] == f"line 4 of {w}/{i}"
    j = Journal(path)
    assert j.done_ids() == {f"w{w}-{i}" for w in range(workers) for i in range(n)}
    assert j.skipped == 0
    # each worker's records are in its own order
    for w in range(workers):
        assert [r["i"] for r in j.results() if r["worker"] == w] == list(range(n))


def test_killed_campaign_keeps_finished_records(tmp_path):
    """A process killed with SIGKILL loses nothing it had recorded."""
    path = str(tmp_path / "j.jsonl")
    code = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {REPO!r})
        from campaigns.journal import Journal
        j = Journal({path!r})
        for i in range(25):
            j.record({{"id": "e%d" % i}})
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    p = subprocess.run([sys.executable, "-c", code])
    assert p.returncode == -signal.SIGKILL
    assert Journal(path).done_ids() == {f"e{i}" for i in range(25)}
