"""Campaign throughput, where the host time goes, determinism, recovery
times: the default campaign run serially, with two workers (pytest-xdist
-n 2), with two workers and a fresh QEMU and boot for every experiment
(CAMPAIGN_REUSE=0) instead of a saved machine restored at the plan point,
squeezed onto one core with four workers (taskset -c 0, -n 4), and as
`make campaign` runs it (the campaign engine's own two workers, no pytest);
experiments per minute (the whole command, pytest start-up and report
included), the per-phase host-time split (start: QEMU up and booted to the
plan point; restore: loadvm of the saved machine; arm: plan and faults
written; run: the guest runs its scenario; verdict), the experiments over
0.5 s of host time with their virtual time, how many traces are
byte-identical across the five runs, and per fault type the median virtual
and host time from the fault firing to the service serving again."""

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


def run(jobs, out, one_core=False, reuse=True, engine=False):
    """engine: the campaign engine's own workers (make campaign) instead of
    pytest-xdist's."""
    env = dict(os.environ, CAMPAIGN_SPEC=SPEC, CAMPAIGN_OUT=out,
               CAMPAIGN_REUSE="1" if reuse else "0")
    args = ["-p", "no:xdist"] if jobs == 1 else ["-n", str(jobs)]
    pin = ["taskset", "-c", "0"] if one_core else []
    t0 = time.monotonic()
    if engine:
        cmd = [sys.executable, "-m", "campaigns", "run", SPEC, "--jobs", str(jobs), "--out", out]
    else:
        cmd = [sys.executable, "-m", "pytest", "campaigns/test_campaign.py", "-q",
               "-p", "no:cacheprovider", "-o", "addopts=", *args]
    p = subprocess.run([*pin, *cmd], cwd=bootimage.ROOT, env=env, capture_output=True, text=True)
    secs = time.monotonic() - t0
    results = json.load(open(os.path.join(out, "results.json")))["results"]
    return secs, results, p.returncode


def report():
    rows, runs = [], []
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        for jobs, one_core, reuse, eng in ((1, False, True, False), (2, False, True, False),
                                           (2, False, False, False), (4, True, True, False),
                                           (2, False, True, True)):
            secs, results, rc = run(jobs, os.path.join(tmp, f"j{jobs}{one_core}{reuse}{eng}"),
                                    one_core, reuse, eng)
            ok = sum(1 for r in results if r["ok"])
            rows.append((jobs, one_core, reuse, eng, secs, len(results), ok,
                         sum(1 for r in results if r.get("restored"))))
            runs.append({r["id"]: r for r in results})
    print(f"Campaign throughput ({SPEC}, this machine: {os.cpu_count()} cores):")
    for jobs, one_core, reuse, eng, secs, n, ok, restored in rows:
        how = "serial" if jobs == 1 else f"-n {jobs}" + (" on 1 core" if one_core else "")
        how += "" if reuse else ", fresh boots"
        if eng:
            how = f"make campaign, {jobs} jobs"
        print(f"  {how:>24}: {n} experiments in {secs:.1f} s"
              f" = {n / secs * 60:.0f} experiments/min ({ok}/{n} as required,"
              f" {restored} on a restored machine)")
    serial = runs[0]
    results = list(runs[1].values())
    same = sum(1 for i, r in serial.items()
               if all(i in other and other[i]["events"] == r["events"] for other in runs[1:]))
    print(f"Byte-identical traces (virtual times included) in all five runs, fresh and restored: "
          f"{same}/{len(serial)}")
    phases = defaultdict(list)
    for r in serial.values():
        for k, v in (r.get("phases") or {}).items():
            if v is not None:
                phases[k].append(v)
    total = sum(r["host_seconds"] for r in serial.values())
    print(f"Host time per experiment, serial run (sum {total:.1f} s; per phase: median ms, share):")
    for k in ("start", "restore", "arm", "run", "verdict"):
        v = phases.get(k, [])
        if v:
            print(f"  {k:<8} {statistics.median(v) * 1000:8.1f} ms {sum(v) / total * 100:5.1f}%")
    slow = sorted((r for r in serial.values() if r["host_seconds"] > 0.5),
                  key=lambda r: -r["host_seconds"])
    print(f"Experiments over 0.5 s of host time: {len(slow)}")
    for r in slow:
        vt = (r.get("virtual_us") or 0) / 1e6
        print(f"  {r['id']:<44} {r['host_seconds']:.2f} s host, {vt:.2f} s virtual ({r['outcome']})")
    rs_own = [r for r in results if r["service"] == "rs" and r.get("recover_virtual_us") is not None]
    if rs_own:
        v = statistics.median(r["recover_virtual_us"] / 1000 for r in rs_own)
        h = [r["recover_host_s"] * 1000 for r in rs_own if r.get("recover_host_s") is not None]
        print(f"RS's own recovery (fault -> RS serving again, {len(rs_own)} experiments): "
              f"{v:.2f} ms virtual" + (f", {statistics.median(h):.1f} ms host" if h else ""))
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
