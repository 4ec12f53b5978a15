"""Automatic basic-block fault sites: how dense, and what an EDFI-style
campaign over them costs.

  - sites per thousand lines of the instrumented code (kernel, libsys, SEF,
    servers), counted once per source block (libsys and SEF are linked into
    every server: per binary they count again), and per binary in all;
  - the 2,000-experiment faultload (make edfi): golden run, generation, and
    the campaign's wall time with 2 jobs, with its outcome shares.
"""

import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faultinj import autosites, bootimage

DIRS = ("os/kernel", "os/lib/libsys", "os/lib/sef", "os/servers")
N = 2000


def density():
    root = bootimage.ROOT
    loc = sum(len(p.read_text().splitlines()) for d in DIRS for p in (root / d).rglob("*.[ch]"))
    per_bin, distinct = 0, set()
    for elf in sorted(bootimage.BUILD.glob("*.elf")):
        for s in autosites.sites(str(elf), str(root)):
            per_bin += 1
            distinct.add((s.file, s.function, s.line, s.insns))
    return loc, len(distinct), per_bin


def campaign(n=N, jobs=2):
    with tempfile.TemporaryDirectory(prefix="edfi-") as tmp:
        gold, spec, out = Path(tmp) / "golden.json", Path(tmp) / "edfi.spec", Path(tmp) / "out"
        py = [sys.executable, "-m", "campaigns"]
        t0 = time.monotonic()
        subprocess.run(py + ["golden", "-o", str(gold)], check=True, capture_output=True,
                       cwd=bootimage.ROOT)
        t1 = time.monotonic()
        subprocess.run(py + ["generate", "--golden", str(gold), "--auto", "--sample", str(n),
                             "--seed", "1", "-o", str(spec)], check=True, capture_output=True,
                       cwd=bootimage.ROOT)
        t2 = time.monotonic()
        subprocess.run(py + ["run", str(spec), "--jobs", str(jobs), "--out", str(out)],
                       capture_output=True, cwd=bootimage.ROOT)
        t3 = time.monotonic()
        rs = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    return t1 - t0, t2 - t1, t3 - t2, rs


def report():
    loc, distinct, per_bin = density()
    print("Automatic basic-block fault sites (GCC plugin os/plugin/fi_blocks.cc):")
    print(f"  instrumented code: {loc:,} lines (kernel, libsys, SEF, servers)")
    print(f"  sites, once per source block: {distinct:,}  = {distinct * 1000 / loc:.0f} per KLOC")
    print(f"  sites, per binary (shared code counted in each): {per_bin:,}")
    g, gen, run, rs = campaign()
    act = sum(1 for r in rs if r.get("activated"))
    out = collections.Counter(r.get("outcome") for r in rs)
    print(f"EDFI-style campaign, {len(rs)} experiments, 2 jobs:")
    print(f"  golden runs {g:.1f} s, generation {gen:.1f} s, campaign {run:.1f} s "
          f"({len(rs) / run * 60:.0f}/min); activated {act}/{len(rs)} ({act * 100 / max(1, len(rs)):.1f}%)")
    print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in out.most_common()))
