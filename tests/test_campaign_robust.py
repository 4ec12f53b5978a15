"""A campaign that never hangs and never mixes runs (campaigns/workers.py,
campaigns/outdir.py): a worker killed with kill -9 mid-campaign costs its
experiment one more attempt, a worker that dies on every attempt leaves a
harness_error naming the cause, and the campaign finishes with every
experiment recorded once and no QEMU left; a second campaign on the same
output directory, or a second spec of the same campaign name, is refused;
temp dirs of killed runs are removed by the next run, which says so; each
result names its host."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter

from faultinj import bootimage

ROOT = bootimage.ROOT
SPEC = """campaign {name}
seed 1
timeout 30

kv    crash       trigger=nth:20
echo  crash       trigger=nth:30
ds    crash       trigger=nth:5
kv    drop        trigger=nth:2
vm    crash
pm    crash
"""
IDS = ["kv-crash-nth:20", "echo-crash-nth:30", "ds-crash-nth:5", "kv-drop-nth:2",
       "vm-crash-nth:1", "pm-crash-nth:1"]


def spec(tmp_path, name="robust", file="c.spec"):
    p = tmp_path / file
    p.write_text(SPEC.format(name=name))
    return p


def start(spec_path, out, mark, *extra, env_extra=None):
    """`python3 -m campaigns run` (make campaign's command) with 2 workers;
    every process it starts, QEMU included, inherits the marker."""
    env = dict(os.environ, ROBUST_TEST_MARK=mark, **(env_extra or {}))
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.Popen([sys.executable, "-m", "campaigns", "run", str(spec_path),
                             "--jobs", "2", "--out", str(out), *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def marked(mark, qemu_only=True):
    """Processes whose environment holds the marker (QEMU only by default)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            env = open(f"/proc/{pid}/environ", "rb").read()
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z" or f"ROBUST_TEST_MARK={mark}".encode() not in env.split(b"\0"):
            continue
        if not qemu_only or (cmd and b"qemu-system" in cmd[0]):
            found.append(int(pid))
    return found


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
            except OSError:
                pass
    return out


def finish(p, timeout=300):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise AssertionError(f"the campaign hung:\n{out[-2000:]}\n{err[-2000:]}")
    return p.returncode, out, err


def journal(out):
    return [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]


def no_qemu_left(mark):
    deadline = time.monotonic() + 10      # a killed QEMU is reaped a moment later
    while marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    return marked(mark) == []


def test_a_worker_killed_mid_experiment_costs_one_retry(tmp_path, os_built):
    mark, out = uuid.uuid4().hex, tmp_path / "out"
    p = start(spec(tmp_path), out, mark)
    killed = None
    while killed is None and p.poll() is None:
        # a worker with a QEMU of its own is in the middle of an experiment
        for w in children(p.pid):
            if any(q in marked(mark) for q in children(w)):
                os.kill(w, signal.SIGKILL)
                killed = w
                break
        time.sleep(0.02)
    code, stdout, err = finish(p)
    assert killed, "no worker was seen running an experiment"
    assert f"worker process {killed} died (killed by SIGKILL)" in err, err
    records = journal(out)
    assert Counter(r["id"] for r in records) == Counter(IDS)      # each once
    assert code == 0 and all(r["ok"] for r in records), stdout + err
    assert no_qemu_left(mark)
    assert {r["host"] for r in records} == {socket.gethostname()}


def test_a_worker_that_dies_on_every_attempt_is_a_harness_error(tmp_path, os_built):
    mark, out = uuid.uuid4().hex, tmp_path / "out"
    p = start(spec(tmp_path), out, mark, env_extra={"CAMPAIGN_WORKER_DIE": "kv-drop-nth:2"})
    code, stdout, err = finish(p)
    assert code == 1
    records = {r["id"]: r for r in journal(out)}
    assert len(journal(out)) == len(IDS) and set(records) == set(IDS)
    dead = records["kv-drop-nth:2"]
    assert dead["outcome"] == "harness_error" and not dead["ok"]
    assert dead["attempts"] == 2 and "died (killed by SIGKILL)" in dead["error"]
    assert len(dead["retry_causes"]) == 1 and "SIGKILL" in dead["retry_causes"][0]
    assert all(r["ok"] for i, r in records.items() if i != "kv-drop-nth:2")
    assert "kv-drop-nth:2: harness_error" in stdout
    results = json.loads((out / "results.json").read_text())
    assert "kv-drop-nth:2" in json.dumps(results)
    assert no_qemu_left(mark)


def test_a_second_campaign_on_the_same_directory_is_refused(tmp_path, os_built):
    mark, out = uuid.uuid4().hex, tmp_path / "out"
    s = spec(tmp_path)
    first = start(s, out, mark)
    # stopped after its first result: it holds the directory, mid-campaign
    line = first.stdout.readline()
    assert line.startswith("[1/"), line
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        second = start(s, out, mark, "--fresh")
        code, _, err = finish(second, 120)
        assert code == 2, err
        assert f"{out} is in use by another campaign (pid {first.pid}, spec {s}" in err, err
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    code, rest, err = finish(first)
    assert code == 0, err
    assert Counter(r["id"] for r in journal(out)) == Counter(IDS)
    # released at its end: the next campaign runs (reusing everything)
    code, stdout, err = finish(start(s, out, mark))
    assert code == 0 and f"reused from the journal" in stdout, err


def test_a_killed_campaign_releases_the_directory(tmp_path, os_built):
    mark, out = uuid.uuid4().hex, tmp_path / "out"
    s = spec(tmp_path)
    first = start(s, out, mark)
    assert first.stdout.readline().startswith("[1/")
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    assert no_qemu_left(mark)
    code, stdout, err = finish(start(s, out, mark))
    assert code == 0, err
    assert Counter(r["id"] for r in journal(out))[IDS[0]] >= 1


def test_two_specs_of_one_campaign_name_do_not_share_a_directory(tmp_path, os_built):
    mark, out = uuid.uuid4().hex, tmp_path / "out"
    a = spec(tmp_path, "same", "a.spec")
    b = spec(tmp_path, "same", "b.spec")
    code, _, err = finish(start(a, out, mark))
    assert code == 0, err
    before = (out / "journal.jsonl").read_bytes()
    code, _, err = finish(start(b, out, mark))
    assert code == 2
    assert str(a) in err and str(b) in err and "campaign 'same'" in err, err
    assert (out / "journal.jsonl").read_bytes() == before      # nothing of a's lost


def test_temp_dirs_of_killed_runs_are_removed_and_named(tmp_path, os_built):
    dead = subprocess.Popen(["true"])
    dead.wait()
    # a temp dir of this campaign's own (TMPDIR), which no other test's
    # campaign looks at, holding a dir whose owner is gone
    base = tmp_path / "t"
    base.mkdir()
    d = str(base / "faultinj-qemu-killed")
    os.mkdir(d)
    with open(os.path.join(d, "owner.pid"), "w") as f:
        f.write(str(dead.pid))
    mark = uuid.uuid4().hex
    code, _, err = finish(start(spec(tmp_path), tmp_path / "out", mark,
                                env_extra={"TMPDIR": str(base)}))
    assert code == 0, err
    assert not os.path.exists(d)
    assert "temp dirs of killed runs" in err and d in err, err
