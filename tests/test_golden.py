"""The golden run counts how often each fault site runs under the
workload, fault-free; a campaign generated from it aims only at sites
that run (campaigns/golden.py)."""

import json
import subprocess
import sys

from campaigns import golden, spec
from faultinj import bootimage


def test_golden_run_counts_site_executions(os_built):
    hits = golden.merge([golden.run_one("kv"), golden.run_one("echo")])
    kv, echo = hits["kv"], hits["echo"]
    # every PUT of the workload passes kv.put once: fill, load and after
    assert kv["kv.put"] == 40 + 100 + 30
    assert kv["kv.get"] > 0 and echo["echo.echo"] > 0 and kv["sef.ping"] > 0
    assert hits["kernel"]["kernel.ipc.send"] > 1000
    # no update in the workload: the prepare site never runs
    assert kv["sef.lu.prepare"] == 0


def test_generated_campaign_aims_only_at_executed_sites(os_built, tmp_path):
    gold = tmp_path / "golden.json"
    gold.write_text(json.dumps(golden.run()))
    out = tmp_path / "gen.spec"
    subprocess.run([sys.executable, "-m", "campaigns", "generate", "--golden", str(gold),
                    "-o", str(out)], cwd=bootimage.ROOT, check=True, capture_output=True)
    hits = json.loads(gold.read_text())
    c = spec.load(str(out))
    assert c.experiments
    assert all(hits[e.service][e.site] > 0 for e in c.experiments if e.site), \
        [e.id for e in c.experiments if e.site and not hits[e.service][e.site]]
    everything = subprocess.run([sys.executable, "-m", "campaigns", "generate"], cwd=bootimage.ROOT,
                                check=True, capture_output=True, text=True).stdout
    assert len(c.experiments) < len(spec.parse(everything).experiments)


def test_sampled_faultload_is_activated(os_built, tmp_path):
    """200 EDFI-style faults sampled at automatic sites the golden run saw
    executed, weighted by execution count: at least 95% of them fire, and
    each result says whether its fault did."""
    import json as _json
    from campaigns import engine, faultload
    gold = golden.run_all()
    # the golden run counts the automatic sites too, per profile
    assert sum(1 for s, n in gold["workloads"]["kv"]["kv"].items() if s.startswith("@") and n) > 20
    path = tmp_path / "edfi.spec"
    path.write_text(faultload.generate(gold, 200, seed=7, weight="count"))
    c = spec.load(str(path))
    assert len(c.experiments) == 200
    assert {e.service for e in c.experiments} >= {"kernel", "rs", "ds", "kv"}
    engine.run_campaign(engine.Settings(spec=str(path), out=str(tmp_path / "out")), jobs=2)
    rs = [_json.loads(line) for line in (tmp_path / "out" / "journal.jsonl").read_text().splitlines()]
    assert len(rs) == 200 and all("activated" in r for r in rs)
    assert not [r["id"] for r in rs if r["outcome"] == "harness_error"]
    activated = sum(1 for r in rs if r["activated"])
    assert activated >= 190, f"{activated}/200 activated"


def test_uniform_and_count_weighting_differ_and_are_seeded(os_built):
    """The same golden counts and seed give the same spec; count weighting
    aims at hot sites more often than uniform does."""
    from campaigns import faultload
    gold = {"workloads": {"kv": golden.run_one("kv")}}
    a = faultload.generate(gold, 100, seed=3, weight="count")
    assert a == faultload.generate(gold, 100, seed=3, weight="count")
    u = faultload.generate(gold, 100, seed=3, weight="uniform")

    def mean_hits(text):
        hits = [int(line.rsplit("(", 1)[1].split()[0]) for line in text.splitlines()
                if line and not line.startswith(("#", "campaign", "seed", "timeout"))]
        return sum(hits) / len(hits)
    assert mean_hits(a) > 2 * mean_hits(u)
