"""The machines one process keeps booted at the plan point, one per boot
configuration (modules and command line), each brought back there for
every experiment that shares its configuration: by the kernel's warm
reset (os/kernel/warm.c), or with CAMPAIGN_RESET=loadvm by QEMU's loadvm.
CAMPAIGN_SPLIT_RESTORE=1 (make bench) has a warm machine stop at each
run's end as well, so an experiment's timing has the reset apart from the
run (planned.PlannedMachine, split_restore).
Experiments whose faults are armed at the boot hook share machines saved
there instead (boot_machine, faultinj/bootsaved.py).

A machine that failed in any way (host limit, QEMU gone, a stop we did
not expect) is closed and dropped; the next experiment boots a new one.
"""

import atexit
from collections import OrderedDict
from typing import Sequence, Tuple

import os

from .bootsaved import BootSavedMachine
from .planned import RESETS, PlannedMachine

MAX_MACHINES = 3            # boot configurations kept at once, per process
RESET = os.environ.get("CAMPAIGN_RESET", "warm")
if RESET not in RESETS:
    raise SystemExit(f"CAMPAIGN_RESET must be one of {', '.join(RESETS)}, not {RESET!r}")
SPLIT_RESTORE = os.environ.get("CAMPAIGN_SPLIT_RESTORE", "0") == "1"

_machines: "OrderedDict[Tuple, PlannedMachine]" = OrderedDict()


def _key(modules: Sequence, append: str, at: str = "plan") -> Tuple:
    return (tuple(m if isinstance(m, str) else tuple(m) for m in modules), append,
            RESET if at == "plan" else at)


def machine(modules: Sequence, append: str = "", limit: float = 120.0) -> PlannedMachine:
    """A machine at the plan point for this configuration, saved there."""
    return _get(_key(modules, append), lambda: PlannedMachine(
        modules, append=append, snapshot=True, limit=limit, reset=RESET,
        split_restore=SPLIT_RESTORE))


def boot_machine(modules: Sequence, append: str = "", limit: float = 120.0) -> BootSavedMachine:
    """A machine saved at the boot hook for this configuration."""
    return _get(_key(modules, append, "boot_hook"),
                lambda: BootSavedMachine(modules, append=append, limit=limit))


def _get(key, new):
    m = _machines.get(key)
    if m is not None and m.broken:
        drop(key)
        m = None
    if m is None:
        while len(_machines) >= MAX_MACHINES:
            _, old = _machines.popitem(last=False)
            old.close()
        m = new()
        _machines[key] = m
    else:
        _machines.move_to_end(key)
    return m


def release(modules: Sequence, append: str, m, at: str = "plan"):
    """After a run: a machine that can run no more is closed."""
    if m.broken:
        drop(_key(modules, append, at))


def drop(key):
    m = _machines.pop(key, None)
    if m is not None:
        m.close()


def forget_all():
    """Drop every machine without closing it: after a fork, they belong to
    the parent process."""
    _machines.clear()


def close_all():
    while _machines:
        _, m = _machines.popitem()
        m.close()


atexit.register(close_all)
