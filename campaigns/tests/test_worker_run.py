"""A remote worker's Run from what the controller sends it
(campaigns/worker_run.py): the same experiments and fingerprint from a
private copy of the spec, replays naming the controller's spec, the
controller's finished results reused, and a worker whose build differs
refused."""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from campaigns import engine, worker_run
from faultinj import bootimage


def fake_config(cleanups):
    return SimpleNamespace(stash=pytest.Stash(), add_cleanup=cleanups.append)


@pytest.fixture
def controller(tmp_path, os_built, monkeypatch):
    monkeypatch.setattr(bootimage, "BUILD", bootimage.BUILD)     # remote_run sets it
    monkeypatch.setenv("OS_BUILD_DIR", str(bootimage.BUILD))
    spec = tmp_path / "c.spec"
    spec.write_text("campaign wr\ntimeout 60\nkv crash trigger=nth:20\nkv init_fail\n")
    run = engine.open_run(engine.Settings(spec=str(spec), out=str(tmp_path / "out")))
    run.journal.record(dict(id="kv-init_fail-nth:1", ok=True, outcome="halted", events=["x"],
                            build=run.fingerprint))
    return run


def test_remote_run_matches_the_controllers(controller):
    data = worker_run.payload(controller)
    cleanups = []
    config = fake_config(cleanups)
    run = worker_run.remote_run(config, data)
    try:
        assert worker_run.refusal(config) is None
        assert run.fingerprint == controller.fingerprint
        assert [e.id for e in run.experiments] == [e.id for e in controller.experiments]
        assert run.settings.spec != controller.settings.spec
        assert run.settings.replay_spec == controller.settings.spec
        assert run.out != controller.out and not run.journal.records()
        reused = engine.run_one(run, run.campaign.get("kv-init_fail-nth:1"))
        assert reused["reused"] and reused["outcome"] == "halted" and "events" not in reused
    finally:
        for c in cleanups:
            c()
    assert not os.path.exists(run.settings.spec)            # its private dir is gone


def test_a_different_build_is_refused(controller):
    data = dict(worker_run.payload(controller), fingerprint="0" * 16)
    cleanups = []
    config = fake_config(cleanups)
    worker_run.remote_run(config, data)
    for c in cleanups:
        c()
    assert "is not the controller's" in worker_run.refusal(config)


def test_a_killed_workers_private_dir_is_removed_by_the_next_and_said(controller, tmp_path,
                                                                       monkeypatch):
    import subprocess
    import tempfile
    base = tmp_path / "remote-tmp"
    base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = base / (worker_run.PRIVATE + "killed")       # a worker killed with its controller
    left.mkdir()
    (left / "owner.pid").write_text(str(dead.pid))
    live = base / (worker_run.PRIVATE + "live")          # another worker's, running
    live.mkdir()
    (live / "owner.pid").write_text(str(os.getpid()))
    cleanups = []
    config = fake_config(cleanups)
    config.workeroutput = {}
    run = worker_run.remote_run(config, worker_run.payload(controller))
    try:
        assert not left.exists() and live.exists()
        assert str(left) in config.workeroutput[worker_run.REMOVED]
        # its own dir names its owner, for the worker after it
        assert (Path(run.settings.spec).parent / "owner.pid").read_text() == str(os.getpid())
    finally:
        for c in cleanups:
            c()
