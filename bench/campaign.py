"""Campaign throughput, where the host time goes, determinism, recovery
times: the default campaign run serially and with two workers (pytest-xdist
-n 2), each with the kernel's warm reset and with QEMU's loadvm, with two
workers and a fresh QEMU and boot for every experiment (CAMPAIGN_REUSE=0),
squeezed onto one core with four workers (taskset -c 0, -n 4), and as
`make campaign` runs it (the campaign engine's own two workers, no pytest)
in the three modes; experiments per minute (the whole command, pytest
start-up and report included), the per-phase host-time split of the warm
reset and of loadvm side by side (start: QEMU up and booted to the plan
point; restore: back to the plan point; arm: plan and faults written; run:
the guest runs its scenario; verdict; the serial warm run stops at each
run's end too, to time its reset apart, ~1 ms an experiment that the
other warm runs do not pay), the experiments over
0.5 s of host time with their virtual time, how many traces are
byte-identical across the five runs, and per fault type the median virtual
time from the fault firing to the service serving again (and host time
where there is one: a campaign machine's console is a ring taken whole at
each stop, so its events carry no host arrival time)."""

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


# (label, jobs, one core, reset) where reset is warm (the kernel's in-guest
# reset, os/kernel/warm.c), loadvm (QEMU's) or fresh (a QEMU and a boot
# for every experiment); engine rows run `python3 -m campaigns run` (what
# make campaign runs) instead of pytest
CONFIGS = (
    ("serial, warm reset (split)", 1, False, "warm", False),
    ("serial, loadvm", 1, False, "loadvm", False),
    ("-n 2, warm reset", 2, False, "warm", False),
    ("-n 2, loadvm", 2, False, "loadvm", False),
    ("-n 2, fresh boots", 2, False, "fresh", False),
    ("-n 4 on 1 core, warm", 4, True, "warm", False),
    ("make campaign, 2 jobs, warm", 2, False, "warm", True),
    ("make campaign, 2 jobs, loadvm", 2, False, "loadvm", True),
    ("make campaign, 2 jobs, fresh", 2, False, "fresh", True),
)


def run(jobs, out, one_core=False, reset="warm", engine=False):
    """engine: the campaign engine's own workers (make campaign) instead of
    pytest-xdist's."""
    env = dict(os.environ, CAMPAIGN_SPEC=SPEC, CAMPAIGN_OUT=out,
               CAMPAIGN_REUSE="0" if reset == "fresh" else "1",
               CAMPAIGN_RESET="loadvm" if reset == "loadvm" else "warm",
               # the serial warm run gives the phase split: its machines
               # stop at each run's end too, so its reset is timed apart
               CAMPAIGN_SPLIT_RESTORE="1" if (reset == "warm" and jobs == 1) else "0")
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


def phase_split(results):
    """{phase: (median ms, share of the host time)} over one run's records."""
    phases = defaultdict(list)
    for r in results:
        for k, v in (r.get("phases") or {}).items():
            if v is not None:
                phases[k].append(v)
    total = sum(r["host_seconds"] for r in results) or 1.0
    return {k: (statistics.median(v) * 1000, sum(v) / total * 100) for k, v in phases.items()}


def report():
    rows, runs = [], []
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        for i, (label, jobs, one_core, reset, eng) in enumerate(CONFIGS):
            secs, results, rc = run(jobs, os.path.join(tmp, f"c{i}"), one_core, reset, eng)
            ok = sum(1 for r in results if r["ok"])
            rows.append((label, reset, eng, secs, len(results), ok,
                         sum(1 for r in results if r.get("restored"))))
            runs.append({r["id"]: r for r in results})
    print(f"Campaign throughput ({SPEC}, this machine: {os.cpu_count()} cores):")
    rate = {}
    for label, reset, eng, secs, n, ok, restored in rows:
        rate[label] = n / secs * 60
        print(f"  {label:>30}: {n} experiments in {secs:.1f} s"
              f" = {n / secs * 60:.0f} experiments/min ({ok}/{n} as required,"
              f" {restored} on a machine brought back to the plan point)")
    w, f = rate["make campaign, 2 jobs, warm"], rate["make campaign, 2 jobs, fresh"]
    print(f"  make campaign: warm reset {w / rate['make campaign, 2 jobs, loadvm']:.1f}x loadvm's "
          f"rate, {w / f:.1f}x fresh boots'")
    split = {"warm": phase_split(list(runs[0].values())),
             "loadvm": phase_split(list(runs[1].values()))}
    print("Host time per experiment by phase, serial runs (median ms, share of the run's host time):")
    print(f"  {'phase':<8} {'warm reset':>20} {'loadvm':>20}")
    for k in ("start", "restore", "arm", "run", "verdict"):
        cells = []
        for mode in ("warm", "loadvm"):
            m = split[mode].get(k)
            cells.append(f"{m[0]:8.1f} ms {m[1]:5.1f}%" if m else f"{'-':>17}")
        print(f"  {k:<8} {cells[0]:>20} {cells[1]:>20}")
    serial = runs[0]
    results = list(runs[2].values())
    same = sum(1 for i, r in serial.items()
               if all(i in other and other[i]["events"] == r["events"] for other in runs[1:]))
    print(f"Byte-identical traces (virtual times included) in all {len(runs)} runs, warm, loadvm "
          f"and fresh: {same}/{len(serial)}")
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
