"""Several machines, for real: a campaign spread over two xdist workers
reached with `--tx ssh=...` through an OpenSSH server on 127.0.0.1
(tests/sshd.py), with the command the README gives. The results must come
back to the controller, which journals them and writes the report, and
its exit status must say whether every experiment came out as required.
The remote gets the repository and its build in a directory of its own,
with nothing stray inside the copy."""

import json
import os
import subprocess
import sys

import pytest

from faultinj import bootimage
from tests.sshd import ALIAS, SSHD, Sshd

ROOT = bootimage.ROOT

pytestmark = pytest.mark.skipif(not os.path.exists(SSHD),
                                reason="openssh-server not installed (make deps)")

SPEC = ("campaign overssh\ntimeout 60\n"
        "kv crash trigger=nth:20\n"
        "echo hang trigger=nth:10\n"
        "kv init_fail\n")
WRONG = "kv crash site=kv.get trigger=nth:30 expect=halted   # impossible on purpose\n"


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


def campaign_over_ssh(sshd, spec, out, remote_dir, *extra):
    tx = (f"ssh={ALIAS}//ssh_config={sshd.config}//python=/usr/bin/python3"
          f"//chdir={remote_dir}")
    cmd = [sys.executable, "-m", "pytest", f"{ROOT}/campaigns/test_campaign.py", "-q", "-d",
           f"--rsyncdir={ROOT}", "--tx", tx, "--tx", tx, *extra]
    env = dict(os.environ, CAMPAIGN_SPEC=str(spec), CAMPAIGN_OUT=str(out))
    for var in [v for v in env if v.startswith("PYTEST_XDIST_")]:
        env.pop(var)                      # this test may itself run in an xdist worker
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)


def journal_ids(out):
    return [json.loads(line)["id"] for line in (out / "journal.jsonl").read_text().splitlines()]


def test_campaign_over_two_ssh_workers(sshd, tmp_path, os_built):
    assert sshd.ssh("true").returncode == 0, sshd.log.read_text()
    spec, out, remote = tmp_path / "overssh.spec", tmp_path / "out", tmp_path / "remote"
    spec.write_text(SPEC)
    remote.mkdir()
    p = campaign_over_ssh(sshd, spec, out, remote)
    log = p.stdout + p.stderr
    assert p.returncode == 0, log
    assert "3/3 experiments recorded, 0 not as required" in log, log
    # the controller journaled what came back: each experiment once
    assert sorted(journal_ids(out)) == sorted(["kv-crash-nth:20", "echo-hang-nth:10",
                                               "kv-init_fail-nth:1"])
    res = {r["id"]: r for r in json.loads((out / "results.json").read_text())["results"]}
    assert res["kv-crash-nth:20"]["outcome"] == "recovered"
    assert res["echo-hang-nth:10"]["outcome"] == "recovered"
    assert res["kv-init_fail-nth:1"]["outcome"] == "halted"
    # replays name the controller's spec, not the worker's private copy
    assert all(f"SPEC={spec} " in r["replay"] for r in res.values())
    # both workers logged in over ssh
    assert sshd.log.read_text().count("Accepted publickey") >= 2
    # the remote: the repository with its build, xdist's own copies of
    # pytest beside it (not inside), no objects, other builds or reports
    copy = remote / ROOT.name
    assert {"pytest", "_pytest", ROOT.name} <= {x.name for x in remote.iterdir()}
    assert (copy / bootimage.BUILD.name / "kernel.elf").exists()
    assert not (copy / "pytest").exists() and not (copy / "_pytest").exists()
    assert not (copy / "reports" / "out").exists()
    assert not list((copy / bootimage.BUILD.name).rglob("*.o"))

    # run again: every result is reused, nothing is run or journaled twice
    again = campaign_over_ssh(sshd, spec, out, remote)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(journal_ids(out)) == 3


def test_failed_experiment_fails_the_run(sshd, tmp_path, os_built):
    spec, out, remote = tmp_path / "wrong.spec", tmp_path / "out", tmp_path / "remote"
    spec.write_text(SPEC + WRONG)
    remote.mkdir()
    p = campaign_over_ssh(sshd, spec, out, remote)
    log = p.stdout + p.stderr
    assert p.returncode == 1, log
    assert "4/4 experiments recorded, 1 not as required" in log, log
    assert len(journal_ids(out)) == 4
    res = {r["id"]: r for r in json.loads((out / "results.json").read_text())["results"]}
    wrong = res["kv-crash-site=kv.get-nth:30"]
    assert wrong["outcome"] == "recovered" and not wrong["ok"]


def test_unworkable_remote_command_is_refused(tmp_path):
    """The README's old command (no --rsyncdir, a relative path) stops
    before any worker starts, naming the fix; no ssh is attempted."""
    spec = tmp_path / "s.spec"
    spec.write_text(SPEC)
    env = dict(os.environ, CAMPAIGN_SPEC=str(spec), CAMPAIGN_OUT=str(tmp_path / "out"))
    tx = "ssh=nobody@unreachable.invalid//python=/usr/bin/python3//chdir=/nowhere"
    base = [sys.executable, "-m", "pytest", "-q", "-d", "--tx", tx]
    p = subprocess.run(base + ["campaigns/test_campaign.py"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 4 and f"--rsyncdir={ROOT}" in p.stderr, p.stdout + p.stderr
    p = subprocess.run(base + [f"--rsyncdir={ROOT}", "campaigns/test_campaign.py"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 4 and "give paths absolute" in p.stderr, p.stdout + p.stderr
    assert not (tmp_path / "out").exists()
