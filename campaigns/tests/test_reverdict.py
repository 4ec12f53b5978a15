"""reverdict: a finished campaign's records judged again from their own
traces (no QEMU: the recorded traces of campaigns/tests/traces)."""

import json
from pathlib import Path

from campaigns import reverdict, spec
from campaigns.spec_model import Experiment

TRACES = Path(__file__).resolve().parent / "traces"


def _record(name, outcome):
    doc = json.loads((TRACES / f"{name}.json").read_text())
    exp = spec.parse(f"campaign t\n{doc['spec']}\n").experiments[0]
    r = exp.as_dict()
    r.update(events=doc["events"], end=doc["end"], error=doc["error"], outcome=outcome,
             why="as recorded", armed_slots=[{}] if doc["armed"] else [])
    return r


def test_from_record_gives_back_the_experiment():
    for line in ("kv crash site=kv.put trigger=nth:3 arg=5 workload=kv mode=update",
                 "ds crash site=ds.retrieve mode=restart workload=echo period=5 seed=9",
                 "kv delay site=kv.get trigger=prob:0.25 timeout=2"):
        e = spec.parse(f"campaign x\n{line}\n").experiments[0]
        assert Experiment.from_record(e.as_dict()) == e


def test_changes_names_only_the_verdicts_that_changed(tmp_path):
    same = _record("recovered", "recovered")
    flipped = _record("benign", "recovered_state_lost")      # what an older verdict said
    flips, n = reverdict.changes([same, flipped])
    assert n == 2 and [f["id"] for f in flips] == [flipped["id"]]
    assert flips[0]["old"] == "recovered_state_lost" and flips[0]["new"] == "benign"
    table = reverdict.flip_table(flips)
    assert "recovered_state_lost" in table[1] and "benign" in table[1]
    # a results.json and a journal read alike
    (tmp_path / "results.json").write_text(json.dumps({"results": [same, flipped]}))
    (tmp_path / "j.jsonl").write_text("\n".join(json.dumps(r) for r in (same, flipped)))
    assert reverdict.load(str(tmp_path)) == reverdict.load(str(tmp_path / "j.jsonl"))
