"""Coverage from the gcov-instrumented build (make coverage / COVERAGE=1).

The guest streams each binary's counters as text (os/lib/gcov/gcov_dump.c):
    #GCOV who=<binary> file=<path.gcda>
    #GCDA <binary> <hex>...   (lines of several binaries may interleave)
    #GCOV-END who=<binary> bytes=<n> sum=<sum>
This module rebuilds the .gcda files, checks them against the END line,
adds runs together with gcov-tool (one object linked into several
binaries, such as SEF, adds up too), and turns the total into lcov data,
genhtml pages and a per-component summary.
"""

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from . import bootimage

_START = re.compile(r"^#GCOV who=(\S+) file=(\S+)\s*$")
_END = re.compile(r"^#GCOV-END who=(\S+) bytes=(\d+) sum=(\d+)\s*$")

COMPONENTS = {"kernel": "os/kernel/", "rs": "os/servers/rs/", "sef": "os/lib/sef/",
              "servers": "os/servers/", "lib": "os/lib/"}


class CoverageError(RuntimeError):
    pass


def extract(text: str) -> Tuple[Dict[Tuple[str, str], bytes], List[str]]:
    """(binary, gcda path) -> bytes, and the problems found (bad or cut
    streams are dropped, never half-written)."""
    files, problems = {}, []
    open_files = {}                      # binary -> (gcda path, hex parts)
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        m = _START.match(line)
        if m:
            who = m.group(1)
            if who in open_files:
                problems.append(f"{open_files[who][0]} from {who}: no end line")
            open_files[who] = (m.group(2), [])
            continue
        if line.startswith("#GCDA "):
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] in open_files:
                open_files[parts[1]][1].append(parts[2].strip())
            continue
        m = _END.match(line)
        if m and m.group(1) in open_files:
            who = m.group(1)
            path, hexparts = open_files.pop(who)
            try:
                data = bytes.fromhex("".join(hexparts))
            except ValueError:
                problems.append(f"{path} from {who}: bad hex")
                continue
            if len(data) != int(m.group(2)) or sum(data) % 2**32 != int(m.group(3)):
                problems.append(f"{path} from {who}: length or checksum mismatch")
            else:
                files[(who, path)] = data
    for who, (path, _) in open_files.items():
        problems.append(f"{path} from {who}: stream cut off")
    return files, problems


def _rel(gcda: str) -> str:
    p = Path(gcda)
    try:
        return str(p.relative_to(bootimage.ROOT))
    except ValueError:
        return str(p).lstrip("/")


def write_trees(files: Dict[Tuple[str, str], bytes], dest: Path) -> List[Path]:
    """One tree per binary (<dest>/<binary>/<path relative to the repo>)."""
    trees = set()
    for (who, gcda), data in files.items():
        out = dest / who / _rel(gcda)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        trees.add(dest / who)
    return sorted(trees)


def merge_into(acc: Path, tree: Path) -> None:
    """Add the counters of tree into acc (created if need be); safe for
    several campaign workers at once."""
    # acc itself is touched only under the lock: a merge replaces it whole
    # (rmtree, then copytree), and a worker that made it in between, before
    # taking the lock, made that copy fail with EEXIST
    acc.parent.mkdir(parents=True, exist_ok=True)
    with open(acc.parent / (acc.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        acc.mkdir(exist_ok=True)
        if not any(acc.rglob("*.gcda")):
            shutil.copytree(tree, acc, dirs_exist_ok=True)
            return
        with tempfile.TemporaryDirectory(dir=acc.parent) as tmp:
            r = subprocess.run(["gcov-tool", "merge", "-o", tmp, str(acc), str(tree)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise CoverageError(f"gcov-tool merge failed: {r.stderr.strip()}")
            # files only in tree (a binary seen for the first time) are kept too
            for f in tree.rglob("*.gcda"):
                rel = f.relative_to(tree)
                if not (Path(tmp) / rel).exists() and not (acc / rel).exists():
                    (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, Path(tmp) / rel)
            shutil.rmtree(acc)
            shutil.copytree(tmp, acc)


def matches_gcno(gcda: str, data: bytes) -> bool:
    """The file's version and stamp are those of its object's .gcno: the
    counters are of this build's object, not garbage a corrupted process
    image gave the kernel's dump (os/kernel/gcov.c reads it as it is)."""
    gcno = bootimage.ROOT / Path(_rel(gcda)).with_suffix(".gcno")
    try:
        with open(gcno, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return len(data) >= 12 and data[:4] == b"adcg" and head[:4] == b"oncg" and data[4:12] == head[4:12]


def add_run(serial_text: str, acc: Path) -> Tuple[int, List[str]]:
    """Take the counters one run dumped and add them to acc. A file that is
    not of this build, or a binary's dump gcov-tool refuses, is left out
    and named; the rest still counts."""
    files, problems = extract(serial_text)
    for key in [k for k, data in files.items() if not matches_gcno(k[1], data)]:
        problems.append(f"{key[1]} from {key[0]}: not of this build (no .gcno with its stamp)")
        del files[key]
    if not files:
        return 0, problems or ["no coverage data in the run"]
    added = 0
    with tempfile.TemporaryDirectory() as tmp:
        for tree in write_trees(files, Path(tmp)):
            try:
                merge_into(acc, tree)
                added += sum(1 for _ in tree.rglob("*.gcda"))
            except CoverageError as e:
                problems.append(f"{tree.name}: {e}")
    return added, problems


def lcov_report(acc: Path, out: Path, build: Path) -> Dict:
    """lcov data and genhtml pages of the accumulated counters."""
    out.mkdir(parents=True, exist_ok=True)
    # lcov wants each .gcno beside its .gcda
    for gcda in acc.rglob("*.gcda"):
        gcno = bootimage.ROOT / gcda.relative_to(acc).with_suffix(".gcno")
        if gcno.exists():
            shutil.copy2(gcno, gcda.with_suffix(".gcno"))
    info = out / "coverage.info"
    rc = ["--rc", "lcov_branch_coverage=1"]
    r = subprocess.run(["lcov", "--capture", "--directory", str(acc), "--base-directory",
                        str(bootimage.ROOT), "--output-file", str(info), "--quiet", *rc],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise CoverageError(f"lcov --capture failed: {r.stderr.strip()[-2000:]}")
    # only our own sources, not GCC's headers
    r = subprocess.run(["lcov", "--extract", str(info), f"{bootimage.ROOT}/os/*", "--output-file",
                        str(info), "--quiet", *rc], capture_output=True, text=True)
    if r.returncode != 0:
        raise CoverageError(f"lcov --extract failed: {r.stderr.strip()[-2000:]}")
    r = subprocess.run(["genhtml", "--branch-coverage", "--quiet", "--title", "reincarnation testbed",
                        "--output-directory", str(out / "html"), str(info)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise CoverageError(f"genhtml failed: {r.stderr.strip()[-2000:]}")
    return summarize(info)


def parse_info(info: Path) -> Dict[str, Dict]:
    """Per source file: lines found/hit, branches found/hit, function hits."""
    files, cur = {}, None
    for line in info.read_text().splitlines():
        if line.startswith("SF:"):
            cur = files.setdefault(line[3:], {"lf": 0, "lh": 0, "bf": 0, "bh": 0, "fn": {}})
        elif cur is None:
            continue
        elif line.startswith("LF:"):
            cur["lf"] += int(line[3:])
        elif line.startswith("LH:"):
            cur["lh"] += int(line[3:])
        elif line.startswith("BRF:"):
            cur["bf"] += int(line[4:])
        elif line.startswith("BRH:"):
            cur["bh"] += int(line[4:])
        elif line.startswith("FNDA:"):
            n, name = line[5:].split(",", 1)
            cur["fn"][name] = cur["fn"].get(name, 0) + int(n)
    return files


def summarize(info: Path) -> Dict:
    files = parse_info(info)
    comp = defaultdict(lambda: {"lf": 0, "lh": 0, "bf": 0, "bh": 0})
    functions = {}
    for path, f in files.items():
        rel = os.path.relpath(path, bootimage.ROOT)
        for name, prefix in COMPONENTS.items():
            if rel.startswith(prefix):
                for k in ("lf", "lh", "bf", "bh"):
                    comp[name][k] += f[k]
        for fn, n in f["fn"].items():
            functions[f"{rel}:{fn}"] = n
    pct = lambda h, t: round(100.0 * h / t, 1) if t else None
    out = {name: {"lines": pct(c["lh"], c["lf"]), "branches": pct(c["bh"], c["bf"]),
                  "lines_hit": c["lh"], "lines_found": c["lf"]} for name, c in comp.items()}
    return {"components": out, "functions": functions, "html": "coverage/html/index.html"}
