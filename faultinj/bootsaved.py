"""A machine saved at the kernel's boot hook, for the experiments whose
fault must fire while the system boots (a boot service's init failure):
their boot is the experiment, so a machine at the plan point cannot serve
them. Instead of a new QEMU for each (about 0.2 s of host time, most of it
QEMU starting and TCG translating the boot afresh), one QEMU stops at
fi_boot_hook, QEMU saves it there (savevm), and each experiment begins
with loadvm: the boot faults are armed at the hook, the guest boots to the
plan point (where the plan is written, as on any machine) or ends during
the boot.

A run gives the trace of a fresh boot with the same faults
(tests/test_determinism.py): QEMU's snapshot holds the virtual clock, and
the kernel prints no event before the hook (the trace of a run is the
events after it).
"""

import time
from typing import Iterable, List, Mapping, Optional, Sequence

from . import contract
from .arming import FaultTable
from .gdbstub import GdbError, GdbTimeout
from .planned import (PlanError, PlannedMachine, PlannedRun, _Monitor, give_plan,
                      host_limit_error)

SNAPSHOT = "boot"
# the last thing the kernel prints before the hook (os/kernel/main.c): once
# the serial reader has it, it has everything printed before the stop
BANNER = contract.TEXTS["KERNEL_BANNER"]


class BootSavedMachine:
    def __init__(self, modules: Sequence, *, append: str = "", limit: float = 120.0):
        t0 = time.monotonic()
        # the memory layout of a machine that boots for each run (warm=layout),
        # so a run here is the same run as on a fresh one
        self.m = PlannedMachine(modules, append=append, snapshot=True, reset="loadvm",
                                limit=limit, stop_at="boot_hook", warm="warm=layout")
        m = self.m
        try:
            if not m.q.serial.wait_for_text(BANNER + "\r\n", m.drain_s):
                raise PlanError("the kernel's banner never came before its boot hook")
            if m.q.serial.events:
                raise PlanError(f"the kernel printed events before its boot hook "
                                f"({m.q.serial.events[0].raw}): a run from there would lose them")
            m.mon = _Monitor(m._mon_path)
            m.mon.command(f"savevm {SNAPSHOT}")
        except BaseException:
            m.close()
            raise
        self.limit = limit
        self.runs = 0
        self.broken: Optional[str] = None
        self.boot_s = time.monotonic() - t0

    def run(self, boot_arm: Iterable[Mapping], steps: str, deadline_ms: int,
            plan_arm: Iterable[Mapping] = (), limit: Optional[float] = None) -> PlannedRun:
        """One experiment from the boot hook: boot_arm armed there, the plan
        and plan_arm written at the plan point if the boot reaches it."""
        if self.broken:
            raise PlanError(f"machine unusable: {self.broken}")
        m, limit = self.m, limit or self.limit
        t0 = time.monotonic()
        timing = {}
        if self.runs == 0:
            timing["start"] = self.boot_s
        else:
            m.mon.command(f"loadvm {SNAPSHOT}")
            timing["restore"] = time.monotonic() - t0
        self.runs += 1
        serial = m.q.serial
        since, forged_since, malformed_since = (len(serial.events), len(serial.forged),
                                                len(serial.malformed))
        caps = serial.new_run()
        t1 = time.monotonic()
        FaultTable(m.gdb, m.kernel).arm_many(list(boot_arm))
        m.gdb.set_watchpoint(m.plan_mark, 4, "w")
        m.gdb.set_watchpoint(m.off_mark, 4, "w")
        timing["arm"] = time.monotonic() - t1
        t2 = time.monotonic()
        end, error = None, None
        try:
            m.gdb.cont()
            where, end = m._wait_stop(limit, since)
            watched = where != "plan"          # the watchpoint is still set
            if where == "plan":
                # as a freshly booted machine does at its plan point
                m.gdb.remove_watchpoint(m.plan_mark, 4, "w")
                give_plan(m.gdb, m.kernel, steps, deadline_ms, plan_arm)
                m.gdb.cont()
                where, end = m._wait_stop(limit, since)
                if where == "plan":
                    raise PlanError("the plan point was reached twice in one run")
            if where == "gone":
                # QEMU ended (a reset under -no-reboot): the run's end, as
                # on a fresh machine; nothing more to ask of its stub
                self.broken = f"QEMU ended ({end})"
            else:
                # the next run sets them again (after its loadvm, also when
                # the machine's own watchdog stopped this one: deadman.c)
                if watched:
                    m.gdb.remove_watchpoint(m.plan_mark, 4, "w")
                m.gdb.remove_watchpoint(m.off_mark, 4, "w")
        except GdbTimeout:
            error = host_limit_error(limit, deadline_ms)
            self.broken = error
        except (PlanError, GdbError, TimeoutError) as e:
            error = f"{type(e).__name__}: {e}"
            self.broken = error
        timing["run"] = time.monotonic() - t2
        return PlannedRun(serial.events[since:], end, error, timing, self.runs > 1, t0,
                          serial.forged[forged_since:], serial.malformed[malformed_since:],
                          serial.notes_since(caps))

    @property
    def serial_text(self) -> str:
        return self.m.serial_text

    def close(self):
        self.m.close()
