"""campaigns/workers.py's choice of the next experiment for an idle worker:
experiments that need the same machine (a group) go to the worker that
has that machine, so a campaign boots as few machines as it can."""

import os
import time
from collections import deque
from types import SimpleNamespace

from campaigns import workers


def _group(i):
    return i.split("-")[0]


def test_an_idle_worker_keeps_to_its_own_machines():
    w, other = SimpleNamespace(groups={"plan", "boot"}), SimpleNamespace(groups={"plan"})
    pending = deque(["plan-1", "boot-1", "plan-2", "boot-2"])
    # a group only it has first, then one it has, in order
    assert workers._next(pending, w, [w, other], _group) == "boot-1"
    assert workers._next(pending, w, [w, other], _group) == "boot-2"
    assert workers._next(pending, w, [w, other], _group) == "plan-1"
    # the other worker has no machine for boot: it takes its own group,
    # then one no worker has, and only then one another worker's machine runs
    pending = deque(["boot-1", "new-1", "plan-1"])
    assert workers._next(pending, other, [w, other], _group) == "plan-1"
    assert workers._next(pending, other, [w, other], _group) == "new-1"
    assert workers._next(pending, other, [w, other], _group) == "boot-1"
    # without groups: in order
    pending = deque(["boot-1", "plan-1"])
    assert workers._next(pending, other, [w, other], None) == "boot-1"


def test_a_group_runs_on_one_worker():
    """Two workers, one large group and a small one given in between: the
    small group's experiments all run in the one worker that took the
    first of them, and every experiment runs once."""
    ids = [f"plan-{k}" for k in range(12)]
    for k in range(4):
        ids.insert(3 * k + 2, f"boot-{k}")
    results = []

    def one(i, causes):
        time.sleep(0.02)
        return {"id": i, "pid": os.getpid()}

    workers.run(ids, 2, init=lambda: None, one=one, on_result=results.append,
                on_death=lambda i, c, cs: {"id": i, "pid": None}, group=_group)
    assert sorted(r["id"] for r in results) == sorted(ids)
    assert len({r["pid"] for r in results}) == 2
    assert len({r["pid"] for r in results if r["id"].startswith("boot")}) == 1
