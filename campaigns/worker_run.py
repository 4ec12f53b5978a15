"""Which campaign Run a pytest process works with (campaigns/conftest.py,
campaigns/test_campaign.py).

The controller, a run without xdist and xdist workers on the controller's
own machine (popen) read the settings from the environment (the Makefile's
CAMPAIGN_* variables) and share the controller's files. A worker on another
machine (--tx ssh=...) has neither: the controller sends what it needs in
xdist's workerinput (payload), and the worker builds its Run from that
(remote_run): the spec's bytes written to a private directory, the build
that the rsync brought along (campaigns/remote_options.py), a journal of
its own there, and what the controller's journal already holds, so that a
resumed campaign runs nothing twice. Its results go home in the test
reports (campaigns/result_relay.py).
"""

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, Optional

import pytest

from campaigns import engine
from faultinj import leftovers, qemu

KEY = "campaign"               # the workerinput entry the controller fills
REMOVED = "campaign_removed"   # the workeroutput entry: leftovers it removed
PRIVATE = "campaign-worker-"   # prefix of a remote worker's private dir
# what a worker needs of a finished result to reuse it (engine.run_one) and
# to fail its test with the right message; the full record stays home
SUMMARY = ("id", "ok", "outcome", "why", "error", "replay")

_RUN = pytest.StashKey[engine.Run]()
_REFUSED = pytest.StashKey[str]()


def payload(run: engine.Run) -> Dict:
    """What the controller sends each remote worker (plain data: execnet
    carries it over ssh)."""
    from faultinj import bootimage
    done = {i: {k: r.get(k) for k in SUMMARY} for i, r in engine.finished(run).items()}
    return {"settings": dataclasses.asdict(run.settings),
            "spec_bytes": run.settings.spec_file.read_bytes(),
            # the remote's copy of the repository has the build at the same place
            "build": bootimage.BUILD.resolve().relative_to(engine.ROOT).as_posix(),
            "fingerprint": run.fingerprint,
            "done": done}


def remote_run(config, data: Dict) -> engine.Run:
    """The Run of a worker on another machine, from the controller's payload."""
    from faultinj import bootimage
    bootimage.BUILD = engine.ROOT / data["build"]          # read at each use
    os.environ["OS_BUILD_DIR"] = str(bootimage.BUILD)        # for child processes
    # private: several workers may share one remote directory, and the
    # next rsync of the repository would delete anything left inside it.
    # A worker killed with its controller leaves it (and its QEMUs' dirs):
    # the next worker on this machine removes what dead owners left and
    # says so through the controller (campaigns/conftest.py)
    removed = leftovers.clean_stale((PRIVATE,), {tempfile.gettempdir()})
    removed += qemu.clean_stale_tmpdirs()
    if removed and hasattr(config, "workeroutput"):
        config.workeroutput[REMOVED] = removed
    private = Path(leftovers.owned_dir(PRIVATE))
    config.add_cleanup(lambda: shutil.rmtree(private, ignore_errors=True))
    given = data["settings"]
    spec = private / Path(given["spec"]).name
    spec.write_bytes(data["spec_bytes"])
    settings = engine.Settings(**dict(given, spec=str(spec), out=str(private / "out"),
                                      fresh=False,
                                      replay_spec=given.get("replay_spec") or given["spec"]))
    run = engine.open_run(settings)
    run._done = dict(data["done"])        # the controller's journal, not this one
    if run.fingerprint != data["fingerprint"]:
        config.stash[_REFUSED] = (
            f"this worker's build, harness or spec (fingerprint {run.fingerprint}) is not the "
            f"controller's ({data['fingerprint']}): it must run the repository that "
            f"--rsyncdir copied here, with the controller's build in it")
    return run


def run_for(config) -> engine.Run:
    """This process's Run, made once."""
    run = config.stash.get(_RUN, None)
    if run is None:
        data = getattr(config, "workerinput", {}).get(KEY)
        run = remote_run(config, data) if data else engine.open_run(engine.Settings.from_env())
        config.stash[_RUN] = run
    return run


def keep(config, run: engine.Run) -> None:
    """The controller's prepared Run, for its payload and its own tests."""
    config.stash[_RUN] = run


def refusal(config) -> Optional[str]:
    """Why this worker must not run experiments (None: it may)."""
    return config.stash.get(_REFUSED, None)
