"""make coverage: the campaign on the gcov build. The kernel saves every
instance's counters when it goes (os/kernel/gcov.c): a crashed, hung,
killed or replaced service's when its image goes, and at the machine's end
(halt, panic, deadline) the kernel's own and every live one's. So the lines
only a dying instance or a panicking kernel reached are counted; RS's
restart, heartbeat-timeout, init-failure and live-update paths are covered;
the report shows line and branch coverage and which fault sites fired; and
coverage and campaign reports live in separate directories."""

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

from faultinj import autosites, bootimage

ROOT = bootimage.ROOT


def _make(*args, env=None, timeout=900):
    # the two tests here may run at once on two workers: one make at a time
    # in build-cov/ (the other tests never build it)
    with open(ROOT / ".test-build-cov.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", *args], cwd=ROOT, env=env or dict(os.environ),
                           capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def _kernel_site():
    """An automatic site at the top of clock_tick in the gcov build's kernel:
    a crash there panics the kernel at the first clock tick (a crash in a
    kernel call's path is contained now: os/kernel/contain.c)."""
    _make("COVERAGE=1")
    sites = [s for s in autosites.sites(str(ROOT / "build-cov" / "kernel.elf"), str(ROOT))
             if s.function == "clock_tick" and "crash" in s.faults()]
    assert sites, "no automatic site in clock_tick"
    return sites[0].name


def _lcov(info: Path):
    """source path relative to the repo -> ({line: count}, {line: [branch counts]})"""
    lines, branches, cur = {}, {}, None
    for raw in info.read_text().splitlines():
        if raw.startswith("SF:"):
            cur = os.path.relpath(raw[3:], ROOT)
            lines.setdefault(cur, defaultdict(int))
            branches.setdefault(cur, defaultdict(list))
        elif raw.startswith("DA:") and cur:
            n, c = raw[3:].split(",")[:2]
            lines[cur][int(n)] += int(c)
        elif raw.startswith("BRDA:") and cur:
            n, _, _, c = raw[5:].split(",")
            branches[cur][int(n)].append(0 if c == "-" else int(c))
    return lines, branches


def _line_of(path: str, text: str) -> int:
    for n, line in enumerate((ROOT / path).read_text().splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(f"{text!r} not in {path}")


def test_campaign_coverage_counts_every_instance(tmp_path):
    site = _kernel_site()
    spec = tmp_path / "cov.spec"
    spec.write_text("campaign cov\ntimeout 60\n"
                    "kv crash trigger=nth:20\n"
                    "kv hang site=kv.get trigger=nth:10\n"
                    "kv init_fail mode=dynamic\n"
                    "kv lu_ok\n"
                    f"kernel crash site={site} trigger=nth:1 expect=kernel_panic\n")
    out = tmp_path / "out"
    _make("coverage", f"SPEC={spec}", "JOBS=2", env=dict(os.environ, CAMPAIGN_OUT=str(out)))
    results = json.loads((out / "results.json").read_text())
    by_fault = {r["fault"] + ("-kernel" if r["service"] == "kernel" else ""): r
                for r in results["results"]}
    assert by_fault["crash-kernel"]["outcome"] == "kernel_panic"
    dumps = {}
    for r in results["results"]:
        # every run, the panic too, gave the kernel's final dump, nothing lost
        m = re.fullmatch(r"\d+ files from \d+ dumps \((.*)\)", r["coverage"] or "")
        assert m, (r["id"], r["coverage"])
        dumps[r["id"]] = m.group(1).split()
        assert "kernel" in dumps[r["id"]], (r["id"], r["coverage"])
    # the dying kv instance was dumped as it went, and its successor at the end
    for f in ("crash", "hang", "init_fail"):
        kv = [d for d in dumps[by_fault[f]["id"]] if d.startswith("kv.")]
        assert len(kv) == 2, (f, kv)

    summary = json.loads((out / "coverage" / "summary.json").read_text())
    fn = summary["functions"]
    for name in ("os/servers/rs/lifecycle.c:do_restart",        # restart
                 "os/servers/rs/lifecycle.c:service_hung",      # heartbeat timeout
                 "os/servers/rs/lifecycle.c:bring_down",        # init failure -> down
                 "os/servers/rs/update.c:lu_ready",             # live update
                 "os/servers/rs/update.c:start_update",
                 "os/lib/sef/sef.c:sef_startup",
                 "os/kernel/ipc_entry.c:ipc_trap",
                 # ipc.c is built twice: the copy without fault sites runs
                 # while nothing is armed
                 "os/kernel/ipc.c:ipc_trap_nofi",
                 # only the panicking kernel ran these, and the hung kv fi_spin
                 "os/kernel/shutdown.c:panic",
                 "os/kernel/trap.c:trap_dispatch",
                 "os/lib/fi/fi.c:fi_spin"):
        assert fn.get(name, 0) > 0, name

    lines, branches = _lcov(out / "coverage" / "coverage.info")
    fi = "os/lib/fi/fi.c"
    # only the crashed instance ran the crash, only the hung one spun
    assert lines[fi][_line_of(fi, "*p = 0xbad")] >= 1
    assert lines[fi][_line_of(fi, '__asm__ volatile(".rept 255')] >= 1
    # each fault in a service fired in an instance that then died: every
    # report of a firing was counted (crash, hang, init failure)
    fired_in_services = sum(1 for r in results["results"] for f in r["evidence"]["fired_sites"]
                            if f["proc"] != "kernel")
    assert fired_in_services == 3 and fn["os/lib/fi/fi.c:report"] == fired_in_services
    # the one failed init took the injected-failure branch once; every
    # other instance's init the other way
    sef = "os/lib/sef/sef.c"
    assert 1 in branches[sef][_line_of(sef, 'FI_ERROR("sef.init")')]
    # the kernel's panic path, from the panic run's dump
    kpanic = "os/kernel/shutdown.c"
    assert lines[kpanic][_line_of(kpanic, 'kprintf("KERNEL PANIC')] == 1

    comps = summary["components"]
    for c in ("kernel", "rs", "sef"):
        assert 0 < comps[c]["lines"] <= 100 and comps[c]["branches"] is not None
    assert (out / "coverage" / "html" / "index.html").exists()
    assert results["coverage"]["rs"]["lines"] == comps["rs"]["lines"]

    # the activation section: every armed site, fired, per component
    act = {c["component"]: c for c in results["coverage"]["activation"]}
    fired = {(c, s["site"]) for c, a in act.items() for s in a["sites"] if s["fired"]}
    assert fired == {("kv", by_fault["crash"]["armed_slots"][0]["site"]), ("kv", "kv.get"),
                     ("kv", "sef.init"), ("kernel", site)}, fired
    ksite = act["kernel"]["sites"][0]
    assert (ksite["kind"], ksite["function"]) == ("auto", "clock_tick")
    html = (out / "index.html").read_text()
    assert 'href="coverage/html/index.html"' in html
    sec = html[html.index('id="activation"'):html.index('id="all"')]
    for _, s in fired:
        assert f"<code>{s}</code>" in sec, s

    class Links(HTMLParser):
        links = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.links.append(dict(attrs).get("href", ""))
    p = Links()
    p.feed(html)
    assert all((out / l).exists() for l in p.links if l and not l.startswith(("http", "#")))


def test_coverage_and_campaign_keep_each_others_output(tmp_path):
    """Default directories: reports/out/<name>/ and reports/coverage/<name>/;
    neither run sets the other's journal aside or deletes its counters."""
    name = f"covsep{os.getpid()}"
    spec = tmp_path / "sep.spec"
    spec.write_text(f"campaign {name}\ntimeout 30\nkv crash trigger=nth:20\n")
    camp, cov = ROOT / "reports" / "out" / name, ROOT / "reports" / "coverage" / name
    env = {k: v for k, v in os.environ.items() if k != "CAMPAIGN_OUT"}
    try:
        _make("campaign", f"SPEC={spec}", "JOBS=1", env=env)
        _make("coverage", f"SPEC={spec}", "JOBS=1", env=env)
        _make("campaign", f"SPEC={spec}", "JOBS=1", env=env)
        for d in (camp, cov):
            assert (d / "journal.jsonl").exists() and not (d / "journal.jsonl.old").exists(), d
            assert (d / "index.html").exists(), d
        assert (cov / "coverage" / "summary.json").exists()
        assert not (camp / "coverage").exists()
        # the second campaign run resumed its journal: one record, not rerun
        assert len((camp / "journal.jsonl").read_text().splitlines()) == 1
        assert json.loads((cov / "results.json").read_text())["coverage"]["kernel"]["lines"] > 0
    finally:
        shutil.rmtree(camp, ignore_errors=True)
        shutil.rmtree(cov, ignore_errors=True)
