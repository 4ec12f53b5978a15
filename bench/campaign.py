"""Campaign throughput and recovery times: the default campaign run
serially and with two workers (pytest-xdist -n 2), experiments per minute
for each, and per fault type the median virtual and host time from the
fault firing to the service serving again."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

from faultinj import bootimage

SPEC = "campaigns/specs/default.spec"


def run(jobs, out):
    env = dict(os.environ, CAMPAIGN_SPEC=SPEC, CAMPAIGN_OUT=out)
    args = ["-p", "no:xdist"] if jobs == 1 else ["-n", str(jobs)]
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "pytest", "campaigns/test_campaign.py", "-q",
                        "-p", "no:cacheprovider", "-o", "addopts=", *args],
                       cwd=bootimage.ROOT, env=env, capture_output=True, text=True)
    secs = time.monotonic() - t0
    results = json.load(open(os.path.join(out, "results.json")))["results"]
    return secs, results, p.returncode


def report():
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        for jobs in (1, 2):
            secs, results, rc = run(jobs, os.path.join(tmp, f"j{jobs}"))
            ok = sum(1 for r in results if r["ok"])
            rows.append((jobs, secs, len(results), ok))
    print(f"Campaign throughput ({SPEC}, this machine: {os.cpu_count()} cores):")
    for jobs, secs, n, ok in rows:
        print(f"  {'serial' if jobs == 1 else f'-n {jobs}':>7}: {n} experiments in {secs:.1f} s"
              f" = {n / secs * 60:.0f} experiments/min ({ok}/{n} as required)")
    by_fault = defaultdict(lambda: ([], []))
    for r in results:
        if r.get("recover_virtual_us") is not None:
            by_fault[r["fault"]][0].append(r["recover_virtual_us"] / 1000)
            if r.get("recover_host_s") is not None:
                by_fault[r["fault"]][1].append(r["recover_host_s"] * 1000)
    print("Median time from fault to service back (or torn down / update aborted):")
    print(f"  {'fault':<12} {'n':>3} {'virtual ms':>11} {'host ms':>9}")
    for fault in sorted(by_fault):
        v, h = by_fault[fault]
        hm = f"{statistics.median(h):9.1f}" if h else "        -"
        print(f"  {fault:<12} {len(v):>3} {statistics.median(v):11.2f} {hm}")
