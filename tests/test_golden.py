"""The golden run counts how often each fault site runs under the
workload, fault-free; a campaign generated from it aims only at sites
that run (campaigns/golden.py)."""

import json
import subprocess
import sys

from campaigns import golden, spec
from faultinj import bootimage


def test_golden_run_counts_site_executions(os_built):
    hits = golden.run()
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
