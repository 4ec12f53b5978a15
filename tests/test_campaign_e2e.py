"""The campaign as users run it: make campaign writes results.json,
junit.xml and an HTML report with the outcome matrix, plots and replay
commands; a campaign killed in the middle resumes and records every
experiment once; a bad spec is refused with a message naming the line."""

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from faultinj import bootimage

ROOT = bootimage.ROOT


def campaign(spec_path, out, *extra, env_extra=None, **popen):
    env = dict(os.environ, CAMPAIGN_SPEC=str(spec_path), CAMPAIGN_OUT=str(out))
    env.pop("PYTEST_XDIST_WORKER", None)
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "pytest", "campaigns/test_campaign.py", "-q",
           "-p", "no:cacheprovider", "-o", "addopts=", *extra]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, **popen)


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_campaign_report(tmp_path, os_built):
    spec = tmp_path / "small.spec"
    spec.write_text("campaign small\ntimeout 60\n"
                    "kv crash trigger=nth:20\n"
                    "echo hang trigger=nth:10\n"
                    "kv init_fail\n"
                    "kv crash site=kv.get trigger=nth:30 expect=halted   # wrong on purpose\n")
    out = tmp_path / "out"
    p = campaign(spec, out, "-n", "2")
    log, _ = p.communicate(timeout=300)
    assert p.returncode == 1, log           # the wrong expectation fails the run
    assert "not as required" in log and "index.html" in log
    res = json.loads((out / "results.json").read_text())
    by_id = {r["id"]: r for r in res["results"]}
    assert by_id["kv-crash-nth:20"]["outcome"] == "recovered"
    assert by_id["echo-hang-nth:10"]["outcome"] == "recovered"
    assert by_id["kv-init_fail-nth:1"]["outcome"] == "halted"
    wrong = by_id["kv-crash-site=kv.get-nth:30"]
    assert wrong["outcome"] == "recovered" and not wrong["ok"]
    assert wrong["recover_virtual_us"] > wrong["detect_virtual_us"] >= 0
    # no process printed anything that looked like an event
    assert all(r["forged"] == 0 and r["forged_lines"] == [] for r in res["results"])
    assert res["summary"]["forged"] == 0
    suite = ET.parse(out / "junit.xml").getroot()
    cases = suite.iter("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 1
    page = Page()
    page.feed((out / "index.html").read_text())
    imgs = [a["src"] for t, a in page.tags if t == "img"]
    assert imgs and all((out / src).exists() for src in imgs)
    assert any(t == "table" and a.get("id") == "matrix" for t, a in page.tags)
    text = "".join(page.text)
    assert "make campaign SPEC=" in text and "kv-crash-site=kv.get-nth:30" in text


def test_interrupted_campaign_resumes(tmp_path, os_built):
    spec = tmp_path / "resume.spec"
    lines = ["campaign resume", "timeout 60"]
    lines += [f"kv crash trigger=nth:{n}" for n in (10, 20, 30, 40, 50)]
    spec.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    journal = out / "journal.jsonl"
    p = campaign(spec, out, "-p", "no:xdist")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)          # the hardest interruption
    p.wait()
    first = [json.loads(l)["id"] for l in journal.read_text().splitlines()]
    assert 2 <= len(first) < 5
    p = campaign(spec, out, "-p", "no:xdist")
    log, _ = p.communicate(timeout=300)
    assert p.returncode == 0, log
    ids = [json.loads(l)["id"] for l in journal.read_text().splitlines()]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 5     # each once
    assert ids[:len(first)] == first                              # nothing redone
    assert "5/5 experiments recorded" in log


def test_bad_spec_is_refused_with_its_line(tmp_path):
    spec = tmp_path / "bad.spec"
    spec.write_text("campaign bad\nkv crash trigger=nth:3\nkv explode\n")
    p = campaign(spec, tmp_path / "out")
    log, _ = p.communicate(timeout=120)
    assert p.returncode != 0
    assert f"{spec}:3:" in log and "explode" in log


def test_generated_campaign_from_site_list(tmp_path, os_built):
    gen = lambda *a: subprocess.run([sys.executable, "-m", "campaigns", "generate", *a],
                                    cwd=ROOT, capture_output=True, text=True, check=True).stdout
    full = gen()
    from campaigns import spec as specmod
    c = specmod.parse(full, "generated")
    pairs = {(e.service, e.site, e.fault) for e in c.experiments}
    assert ("kv", "kv.put", "crash") in pairs and ("echo", "sef.init", "init_fail") in pairs
    assert ("ds", "sef.lu.prepare", "lu_timeout") in pairs
    assert not any(e.service in ("kernel", "rs") for e in c.experiments)
    sample = gen("--sample", "3", "--seed", "5")
    assert sample == gen("--sample", "3", "--seed", "5")        # reproducible
    path = tmp_path / "gen.spec"
    path.write_text(sample)
    out = tmp_path / "out"
    p = campaign(path, out, "-n", "2")
    log, _ = p.communicate(timeout=300)
    res = json.loads((out / "results.json").read_text())["results"]
    assert len(res) == 3 and all(r["outcome"] for r in res), log


def test_rerun_reuses_results_and_fresh_runs_again(tmp_path, os_built):
    spec = tmp_path / "one.spec"
    spec.write_text("campaign one\ntimeout 60\nkv crash trigger=nth:5\n")
    out = tmp_path / "out"
    journal = out / "journal.jsonl"
    for fresh in ("", "", "1"):
        p = campaign(spec, out, "-p", "no:xdist", env_extra={"CAMPAIGN_FRESH": fresh})
        log, _ = p.communicate(timeout=120)
        assert p.returncode == 0, log
        if not fresh:
            assert len(journal.read_text().splitlines()) == 1     # reused, not run again
    assert (out / "journal.jsonl.old").exists()
    assert len(journal.read_text().splitlines()) == 1


def test_engine_runs_a_campaign_with_progress_and_resumes(tmp_path, os_built):
    """python3 -m campaigns run (what make campaign calls): a progress line
    per experiment with verdict, host time, pace and ETA; run again, it
    says how many it reused and runs nothing."""
    spec = tmp_path / "p.spec"
    spec.write_text("campaign progress\ntimeout 60\nkv crash trigger=nth:5\n"
                    "echo crash trigger=nth:5\nkv hang site=kv.get trigger=nth:3 period=5\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "campaigns", "run", str(spec), "--jobs", "2", "--out", str(out)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("[")]
    assert len(lines) == 3 and lines[-1].startswith("[3/3] ok ")
    assert all("/min, eta " in ln and " s)" in ln for ln in lines), lines
    assert f"report: {out}/index.html" in p.stdout
    assert len([json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()]) == 3
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "resuming: 3 of 3 experiments reused from the journal" in again.stdout
    assert again.stdout.count("(reused)") == 3
