# A report rebuilt from a journal equals the engine's: a tiny campaign whose
# journal holds real recorded traces (campaigns/tests/traces, no QEMU), one
# journaled with a stale verdict, reported by engine.finish and again by
# `python3 -m reports OUT JOURNAL --spec SPEC`; results.json (but for when
# it was generated), junit.xml and every timeline picture are the same, and
# both judged every record again from its trace. And campaigns/ imports
# nothing of reports/ (the report depends on the campaign, not the reverse).

import json
import re
import subprocess
import sys
from pathlib import Path

from campaigns import engine, spec
from campaigns.journal import Journal

TRACES = Path(__file__).resolve().parent / "traces"
CAMPAIGNS = Path(__file__).resolve().parents[1]
# one recorded trace per spec line (some traces share theirs)
NAMES = ("recovered", "benign", "client_hung", "given_up", "halted", "kernel_panic", "lu_ok",
         "lu_timeout", "not_activated", "recovered_state_lost", "rolled_back", "system_hang",
         "torn_down")


def _campaign(tmp_path):
    docs = {n: json.loads((TRACES / f"{n}.json").read_text()) for n in NAMES}
    path = tmp_path / "tiny.spec"
    path.write_text("campaign tiny\n" + "".join(d["spec"] + "\n" for d in docs.values()))
    c = spec.load(str(path))
    assert len(c.experiments) == len(NAMES)
    out = tmp_path / "engine"
    j = Journal(str(out / "journal.jsonl"))
    out.mkdir()
    for exp, (name, d) in zip(c.experiments, docs.items()):
        # as the runner journals it, but with a verdict of its own: the
        # report must come from the trace, not from what was journaled
        rec = dict(exp.as_dict(), events=d["events"], end=d["end"], error=d["error"],
                   armed_slots=[{"slot": 0}] if d["armed"] else [], outcome="benign",
                   why="journaled by an older verdict", ok=True, host_seconds=1.0,
                   replay=f"make campaign ONLY='{exp.id}'")
        if name == "recovered":
            rec["evidence"] = {"divergence": {"label": "stale", "event": None}}
        j.record(rec)
    return path, out, docs


def _doc(path):
    doc = json.loads(path.read_text())
    doc.pop("generated")
    return doc


def test_rebuilt_report_equals_the_engines(tmp_path):
    spec_path, out, docs = _campaign(tmp_path)
    s = engine.finish(engine.open_run(engine.Settings(spec=str(spec_path), out=str(out))))
    assert s["report"] == str(out / "index.html") and Path(s["report"]).is_file()
    again = tmp_path / "again"
    p = subprocess.run([sys.executable, "-m", "reports", str(again), str(out / "journal.jsonl"),
                        "--spec", str(spec_path)], cwd=engine.ROOT, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    a, b = _doc(out / "results.json"), _doc(again / "results.json")
    assert a == b
    # judged again from the traces, by both: every recorded class, with evidence
    assert [r["outcome"] for r in a["results"]] == [d["outcome"] for d in docs.values()]
    assert all(r["evidence"].get("marks") is not None for r in a["results"])
    rec = a["results"][0]
    assert rec["evidence"]["divergence"]["label"] != "stale"
    assert rec["recover_virtual_us"] == rec["evidence"]["serving"]["t"] - \
        rec["evidence"]["origin"]["t"]
    # the engine's summary is the report's
    assert s["failed"] == [r["id"] for r in a["results"] if not r["ok"]]
    assert s["recorded"] == s["total"] == len(NAMES)
    assert (out / "junit.xml").read_text() == (again / "junit.xml").read_text()
    drawn = sorted(f.name for f in out.glob("timeline-*.svg"))
    assert drawn and drawn == sorted(f.name for f in again.glob("timeline-*.svg"))
    assert [t["file"] for t in a["summary"]["survival"]["timelines"]] != []
    for f in drawn:
        assert (out / f).read_text() == (again / f).read_text(), f


def test_campaigns_import_nothing_of_reports():
    """Not the engine, not its entry points (__main__, conftest), not tests:
    the engine runs `python3 -m reports` for its report instead."""
    imports = re.compile(r"^\s*(from\s+reports(\.|\s)|import\s+reports\b)|"
                         r"import_module\(\s*['\"]reports|__import__\(\s*['\"]reports")
    hits = [f"{p.relative_to(CAMPAIGNS)}:{n}: {line.strip()}"
            for p in sorted(CAMPAIGNS.rglob("*.py"))
            for n, line in enumerate(p.read_text().splitlines(), 1) if imports.search(line)]
    assert hits == []
