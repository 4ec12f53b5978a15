"""A machine booted to the kernel's plan point, where one experiment
begins, and able to come back there for the next one.

The scenario driver asks the kernel for its plan (os/kernel/plan.c); the
kernel passes plan_point(), where the host holds a write watchpoint on the
word it writes (plan_mark). Stopped there, the host writes the
experiment's steps, its virtual-time limit and its faults, and lets the
guest run until the function every end of a run passes (a second
watchpoint, on the word machine_off_point writes, right after the run's
last line `ev=off`). Both stops are at
instructions the guest chose, so nothing depends on host timing. The
console is a ring in memory the host maps (os/kernel/conring.c): the
host takes what it holds at every stop, and at a third watchpoint the
kernel passes after every chunk of output.

With snapshot=True the machine comes back to the plan point for the next
experiment instead of a new QEMU and a new boot:
  - reset="warm" (the default): the kernel saved its RAM at the plan point
    (os/kernel/warm.c) and, at the end of each run, copies back what the
    run changed and stops at the plan point again by itself; the host has
    no stop at the run's end (but with split_restore), and QEMU keeps the
    code it translated;
  - reset="loadvm": QEMU saves the machine there (`savevm`, an internal
    qcow2 snapshot) and every later experiment starts with `loadvm`, which
    throws away every translated block.
Either way a run gives the same trace as on a freshly booted machine
(tests/test_determinism.py): the kernel settles its devices at the plan
point on the same path after a boot and a reset. The trace of a run on a
machine brought back is the boot prefix recorded once, up to the plan
point, plus what the guest printed after it.
"""

import os
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import bootimage, exitcodes
from .arming import FaultTable
from .events import Event
from .gdbstub import GdbClient, GdbConnectionError, GdbError, GdbTimeout
from .qemu import Qemu
from .session import kernel_image

SNAPSHOT = "plan"
# Guest RAM of a campaign machine. The OS gets 32 MB: what the system needs
# with room to spare (it boots with ~7,000 free frames of 8,192), and small,
# because every reset's cost grows with it (FAIL*'s advice). The kernel
# keeps the rest for its in-guest reset (os/kernel/warm.c: one megabyte of
# bookkeeping and a copy of the OS's 32 MB), on every campaign machine
# whichever way it comes back to the plan point, so a run is the same run
# after a boot, a loadvm or a warm reset.
MEMORY_MB = 66
# How a machine comes back to the plan point for the next experiment:
#   warm   - the kernel copies back what the run changed (os/kernel/warm.c);
#            TCG keeps its translated code
#   loadvm - QEMU's loadvm of a snapshot taken there (flushes TCG's cache)
RESETS = ("warm", "loadvm")
DRAIN_S = 10.0        # host seconds for the serial reader to catch up at a stop
                      # (only on the UART: the console ring is taken at the stop)


class PlanError(RuntimeError):
    """The machine could not be brought to, or back to, the plan point."""


def host_limit_error(limit: float, deadline_ms: int) -> str:
    """A run the host's wall clock ended: the harness's fault, never the
    system's (the guest ends every run itself, in virtual time)."""
    return (f"host limit of {limit:.0f} s passed before the guest ended "
            f"(virtual limit {deadline_ms} ms): harness fault")


@dataclass
class PlannedRun:
    events: List[Event]              # the whole trace, boot included
    end: Optional[str]               # exitcodes outcome: halt, panic, deadline, reset, ...
    error: Optional[str] = None      # a harness problem, never the system's failure
    timing: Dict[str, float] = field(default_factory=dict)   # start|restore, arm, run
    restored: bool = False
    t0: float = 0.0                  # host monotonic time the run began
    # user output of the run that read like an event or a kernel panic
    # (EventStream.forged): never among events, kept to be reported
    forged: List[str] = field(default_factory=list)
    # framed lines of the run refused as malformed (EventStream.malformed):
    # never among events, kept so the verdict can say a report was garbled
    malformed: List[str] = field(default_factory=list)
    # what the host's event stream did not keep of the run (over its caps,
    # a line cut by the end): empty when it kept everything
    notes: List[str] = field(default_factory=list)


def _outcome_of_code(code: int) -> str:
    return exitcodes.outcome_for(exitcodes.host_status(code))


class _Monitor:
    """QEMU's human monitor over a unix socket: savevm and loadvm.

    Snapshots leave out the console ring's shared memory (the migration
    capability x-ignore-shared): its 16 MiB file, read whole by each
    savevm, was most of a savevm's time (0.07-0.18 s, a page fault and a
    page cleared for every page not yet written; 0.017 s without it). The
    guest reads nothing of the ring but pos, which is 0 at every stop (the
    host takes the bytes and sets it back: faultinj/conring.py), at the
    savevm as at each loadvm; so a run after a loadvm is the same without
    the ring in the snapshot (the same trace, measured, and
    tests/test_determinism.py)."""

    PROMPT = b"(qemu) "

    def __init__(self, path: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise PlanError(f"QEMU monitor socket {path} did not open")
                time.sleep(0.005)
        self.sock.settimeout(timeout)
        self._read_prompt()
        self.command("migrate_set_capability x-ignore-shared on")

    def _read_prompt(self) -> str:
        buf = b""
        while not buf.endswith(self.PROMPT):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise PlanError("QEMU monitor closed")
            buf += chunk
        return buf[:-len(self.PROMPT)].decode("utf-8", "replace")

    def command(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\n")
        out = self._read_prompt()
        # the monitor echoes the command line; what follows is its answer
        answer = out.split("\n", 1)[1] if "\n" in out else ""
        answer = answer.replace("\r", "").strip()
        if answer:
            raise PlanError(f"monitor `{line}`: {answer}")
        return answer

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def plan_writes(kernel, steps: str, deadline_ms: int) -> List[Tuple[int, bytes]]:
    """The guest memory writes that give the kernel its plan at plan_point:
    (address, bytes) of the steps (NUL-terminated), of the time limit, of
    off_mark (0: the run has not ended) and of warm_go: at the run's end
    the kernel resets itself to the plan point if it saved it there
    (warm=1), else ends the machine as always. Every
    machine gets the same writes, so every run starts from the same memory.
    The harness makes them through its stub; a gdb replay makes the same."""
    addr, size = kernel.symbol("plan_steps")
    data = steps.encode()
    if len(data) >= size:
        raise PlanError(f"plan of {len(data)} bytes does not fit plan_steps[{size}]")
    return [(addr, data + b"\0"),
            (kernel.address("plan_deadline_ms"), struct.pack("<I", deadline_ms)),
            (kernel.address("warm_go"), struct.pack("<I", 1)),
            # no end yet: machine_off_point writes the run's code here
            (kernel.address("off_mark"), struct.pack("<I", 0))]


def give_plan(gdb, kernel, steps: str, deadline_ms: int, arm: Iterable[Mapping] = (),
              writes: Iterable[Tuple[int, bytes]] = ()) -> FaultTable:
    """At the plan point: the plan (plan_writes), more writes, and the
    faults armed there. Returns the fault table."""
    for addr, data in list(plan_writes(kernel, steps, deadline_ms)) + list(writes):
        gdb.write_memory(addr, data)
    table = FaultTable(gdb, kernel)
    arm = list(arm)
    if arm:
        table.arm_many(arm)
    return table


class PlannedMachine:
    """stop_at="boot_hook" leaves the machine stopped at fi_boot_hook once
    the boot faults are armed (for a debugger to take over, hand_over());
    the default runs it on to the plan point."""

    def __init__(self, modules: Sequence, *, append: str = "", snapshot: bool = False,
                 boot_arm: Iterable[Mapping] = (), limit: float = 120.0, memory_mb: int = MEMORY_MB,
                 stop_at: str = "plan", reset: str = "warm", warm: Optional[str] = None,
                 split_restore: bool = False):
        """snapshot: come back to the plan point for more runs, by `reset`
        (RESETS). warm: the kernel's warm= argument: warm=1 on a machine
        that resets warm, warm=layout (the same memory, no copy) on the
        others; "warm=verify" also counts what a reset missed. split_restore:
        a warm machine stops at each run's end too, so its timing has the
        reset apart from the run (make bench); the stop costs ~1 ms a run."""
        if reset not in RESETS:
            raise ValueError(f"reset must be one of {', '.join(RESETS)}, not {reset!r}")
        self.kernel = kernel_image()
        self.snapshot = snapshot
        self.reset = reset if snapshot else None
        self.split_restore = split_restore
        self.limit = limit
        self._img = None
        if warm is None:
            warm = "warm=1" if self.reset == "warm" else "warm=layout"
        append = " ".join(a for a in (append, warm) if a)
        self.q = Qemu(bootimage.kernel_path(), bootimage.modules(modules), gdb=True,
                      timeout=limit, append=append, memory_mb=memory_mb, console_ring=True)
        self.warm_resets = 0
        if snapshot and reset == "loadvm":
            # internal snapshots live in a qcow2 image; the guest never sees
            # it. It is scratch, gone with the machine: no flush to the disk
            # (cache=unsafe), which made a savevm cost up to 0.1 s here
            self._img = os.path.join(self.q.tmpdir, "snap.qcow2")
            self._mon_path = os.path.join(self.q.tmpdir, "mon.sock")
            self.q.extra_args += [
                "-drive", f"if=none,id=snap,format=qcow2,cache=unsafe,file={self._img}",
                "-monitor", f"unix:{self._mon_path},server=on,wait=off"]
        self.gdb: Optional[GdbClient] = None
        self.mon: Optional[_Monitor] = None
        self.prefix: List[Event] = []      # the boot, up to and including plan_point
        self.prefix_forged: List[str] = []  # lookalike lines of that boot
        self.at_plan = False               # stopped at the plan point, ready to run
        self.saved = False
        self.broken: Optional[str] = None  # why this machine can run no more
        self.boot_end: Optional[PlannedRun] = None   # the run ended before the plan point
        self.runs = 0
        self.at_boot_hook = False
        self._boot(list(boot_arm), stop_at)

    # -- boot ----------------------------------------------------------------
    def _boot(self, boot_arm: List[Mapping], stop_at: str):
        t0 = time.monotonic()
        k = self.kernel
        self.plan_mark = k.address("plan_mark")
        self.off_mark = k.address("off_mark")
        self.warm_go_at = k.address("warm_go")
        self.ring_mark = k.address("conring_mark")
        self.ring_stops = 0              # stops to take a chunk of the console
        try:
            if self._img:
                subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", self._img, "1M"],
                               check=True, capture_output=True)
            self.q.start()
            self.gdb = GdbClient(self.q.gdb_socket, timeout=30).connect()
            hook = k.address("fi_boot_hook")
            # where the kernel's console ring is taken when a chunk of it
            # has come (os/kernel/conring.c), on every machine, for good
            self.gdb.set_watchpoint(self.ring_mark, 4, "w")
            self.gdb.set_breakpoint(hook, hw=True)
            self.gdb.cont()
            self._stop(60)
            self.gdb.remove_breakpoint(hook, hw=True)
            self.table = FaultTable(self.gdb, k)
            if boot_arm:
                self.table.arm_many(list(boot_arm))
            if stop_at == "boot_hook":
                self.at_boot_hook = True
                self.boot_s = time.monotonic() - t0
                return
            # the stop at the plan point is a write watchpoint on plan_mark,
            # on every machine: a warm one goes on from it without a step
            # (os/kernel/plan.c says why), and a stop by breakpoint is one
            # instruction off in QEMU's instruction count, which shifted an
            # event by 1 us against a warm machine's run
            # the run's end (machine_off_point) is a write watchpoint too,
            # on off_mark, for the same reasons
            self.gdb.set_watchpoint(self.plan_mark, 4, "w")
            self.gdb.set_watchpoint(self.off_mark, 4, "w")
            self.gdb.cont()
            where, end = self._wait_stop(self.limit, since=0)
            if where == "plan":
                if self.reset != "warm":
                    self.gdb.remove_watchpoint(self.plan_mark, 4, "w")
                elif not self.split_restore:
                    # the kernel ends each run by coming back here itself
                    # (warm_go): no stop at a run's end
                    self.gdb.remove_watchpoint(self.off_mark, 4, "w")
                self.prefix = self._through("plan_point", since=0)
                self.prefix_forged = self.q.serial.forged
                if self.reset == "loadvm":
                    self.mon = _Monitor(self._mon_path)
                    self.mon.command(f"savevm {SNAPSHOT}")
                if self.snapshot:
                    self.saved = True
                self.at_plan = True
            else:
                # the system ended while booting (a boot fault): that is the run
                self.boot_end = PlannedRun(self.q.serial.events, end, t0=t0,
                                           timing={"start": time.monotonic() - t0},
                                           forged=self.q.serial.forged)
        except BaseException:
            self.close()
            raise
        self.boot_s = time.monotonic() - t0

    @property
    def drain_s(self) -> float:
        """How long a stop waits for a line printed before it: nothing
        when the console is the ring (taken at the stop, all of it), the
        serial reader's time to catch up when it is the UART."""
        return 0.0 if self.q.ring is not None and self.q.ring.in_use() else DRAIN_S

    def _through(self, kind: str, since: int) -> List[Event]:
        """The events from `since` up to the first of this kind (kernel's):
        the line was written before the stop."""
        ev = self.q.serial.wait_for(lambda e: e.kind == kind and e.get("who") == "kernel",
                                    self.drain_s, since=since)
        evs = self.q.serial.events
        return evs[since:evs.index(ev, since) + 1]

    def _end_code(self) -> int:
        """The code the run's machine_off_point wrote in off_mark (its
        page is kept out of the warm reset, so it is there after one too;
        plan_writes clears it for each run). Read from memory, not from
        the run's `off` line: a fault may have garbled the console and
        not the end."""
        code = struct.unpack("<I", self.gdb.read_memory(self.off_mark, 4))[0]
        if not code:
            raise PlanError("the run passed no machine_off_point")
        return code

    def _ended(self, since: int) -> Optional[Event]:
        """The kernel's `off` line of the run begun at event `since`, if it
        came: the run ended, whatever happened after."""
        for ev in self.q.serial.events[since:]:
            if ev.kind == "off" and ev.get("who") == "kernel":
                return ev
        return None

    def _stop(self, limit: float) -> str:
        """Wait for the stub's next stop that is not the console ring's
        (those are taken and the machine goes on); every stop takes the
        ring's bytes into the event stream. The stop's reply."""
        deadline = time.monotonic() + limit
        while True:
            reply = self.gdb.wait_stop(max(0.0, deadline - time.monotonic()))
            if reply.startswith(("W", "X")):
                return reply                # QEMU ends: Qemu.wait takes the rest
            self.q.drain()
            if self._watched(reply) != self.ring_mark:
                return reply
            self.ring_stops += 1
            self.gdb.cont()

    @staticmethod
    def _watched(reply: str) -> Optional[int]:
        """The address a watchpoint stop names ("T05watch:ADDR;..."), else None."""
        at = reply.find("watch:")
        if at < 0:
            return None
        return int(reply[at + 6:].split(";", 1)[0], 16)

    def _wait_stop(self, limit: float, since: int):
        """Run until a breakpoint or QEMU's exit: ("plan"|"exit"|"gone", outcome).
        The guest ends every run itself: at its virtual-time limit
        (kernel/watchdog.c), or, with the kernel locked up with interrupts
        off, by its lockup detector's NMI (kernel/lockup.c); the host limit
        only catches a harness fault."""
        try:
            reply = self._stop(limit)
        except GdbTimeout:
            raise
        except (GdbConnectionError, GdbError, OSError):
            reply = "W"
        if reply.startswith(("W", "X")):
            r = self.q.wait(10)
            return "gone", r.outcome
        if reply[:3] in ("T0e", "S0e"):  # SIGALRM: the machine's watchdog stopped it
            return "watchdog", exitcodes.WATCHDOG
        watched = self._watched(reply)
        if watched == self.plan_mark:
            return "plan", None
        if watched == self.off_mark:
            return "exit", _outcome_of_code(self._end_code())
        eip = self.gdb.read_registers().get("eip")
        raise PlanError(f"stopped at an unexpected address {eip:#x} ({reply})")

    # -- one experiment --------------------------------------------------------
    def run(self, steps: str, deadline_ms: int, arm: Iterable[Mapping] = (),
            limit: Optional[float] = None, writes: Iterable[Tuple[int, bytes]] = ()) -> PlannedRun:
        """One experiment from the plan point; the machine is then spent
        unless it comes back there (a warm machine already has when this
        returns; a loadvm one restores at the next run). writes: more
        (address, bytes) to put in guest memory at the plan point (the
        golden run's site table)."""
        if self.broken:
            raise PlanError(f"machine unusable: {self.broken}")
        if self.boot_end is not None:
            self.broken = "the run ended while booting"
            return self.boot_end
        t0 = time.monotonic()
        timing = self.stage(steps, deadline_ms, arm, writes)
        since = len(self.q.serial.events)
        forged_since = len(self.q.serial.forged)
        malformed_since = len(self.q.serial.malformed)
        caps = self.q.serial.new_run()
        restored = "restore" in timing or (self.reset == "warm" and self.runs > 1)
        self.gdb.cont()
        t2 = time.monotonic()
        end, error = None, None
        try:
            where, end = self._wait_stop(limit or self.limit, since)
            if where == "plan" and self.reset == "warm" and not self.split_restore:
                # the run ended and the kernel reset itself: the run's end is
                # the code machine_off_point wrote, the rest was the reset
                end = _outcome_of_code(self._end_code())
                self.at_plan = True
                self.warm_resets += 1
            elif where == "plan":
                raise PlanError("the plan point was reached twice in one run")
            if where == "exit" and self.reset == "warm":
                # the run ended: the kernel resets itself (warm_go) and
                # stops at the plan point again
                t_off = time.monotonic()
                self.gdb.cont()
                where, _ = self._wait_stop(limit or self.limit, since)
                if where == "plan":
                    timing["restore"] = time.monotonic() - t_off
                    self.at_plan = True
                    self.warm_resets += 1
                elif where == "exit":
                    raise PlanError("the run ended twice")
                else:
                    # the run's end is its own, not the reset's
                    self.broken = f"warm reset failed: {where} after the run"
                    where = "exit"
            if where == "watchdog":
                # the kernel is past running its own reset
                self.broken = "the machine's watchdog stopped it"
            if where == "gone":
                self.broken = f"QEMU ended ({end})"      # nothing left to restore
                off = self._ended(since)
                if self.reset == "warm" and off is not None:
                    # the run ended (its last line came) and the reset after
                    # it failed: the run's end is its own, not the reset's
                    end = _outcome_of_code(off.int("code"))
                    self.broken = "warm reset failed: QEMU ended after the run"
        except GdbTimeout:
            self.q.follow()              # what it printed so far, for the record
            off = self._ended(since) if self.reset == "warm" else None
            if off is not None:
                # the reset after the run's end did not come back
                end = _outcome_of_code(off.int("code"))
                self.broken = "warm reset failed: no stop at the plan point after the run"
            else:
                error = host_limit_error(limit or self.limit, deadline_ms)
                self.broken = error
        except (PlanError, TimeoutError) as e:
            error = f"{type(e).__name__}: {e}"
            self.broken = error
        timing["run"] = time.monotonic() - t2 - timing.get("restore", 0.0)
        events = list(self.prefix) + self.q.serial.events[since:]
        if not self.saved:
            self.broken = self.broken or "spent"
        forged = self.prefix_forged + self.q.serial.forged[forged_since:]
        malformed = self.q.serial.malformed[malformed_since:]
        return PlannedRun(events, end, error, timing, restored, t0, forged, malformed,
                          self.q.serial.notes_since(caps))

    def stage(self, steps: str, deadline_ms: int, arm: Iterable[Mapping] = (),
              writes: Iterable[Tuple[int, bytes]] = ()) -> Dict[str, float]:
        """At the plan point (restored there if need be): write the plan and
        arm the faults; the guest goes on at the next continue. Returns the
        host seconds it took (start or restore, arm)."""
        t0 = time.monotonic()
        timing: Dict[str, float] = {}
        if not self.at_plan:
            if not self.saved or self.reset != "loadvm":
                raise PlanError("machine already used and not saved")
            self.mon.command(f"loadvm {SNAPSHOT}")
            self.at_plan = True
            timing["restore"] = time.monotonic() - t0
        elif self.runs == 0:
            timing["start"] = self.boot_s
        t1 = time.monotonic()
        self.table = give_plan(self.gdb, self.kernel, steps, deadline_ms, arm, writes)
        self.at_plan = False
        self.runs += 1
        timing["arm"] = time.monotonic() - t1
        return timing

    def warm_stats(self) -> Dict[str, int]:
        """What the kernel's last warm reset did: frames copied back, and
        with warm=verify the frames it would have missed."""
        raw = self.gdb.read_memory(self.kernel.address("warm_stats"), 12)
        resets, frames, missed = struct.unpack("<3I", raw)
        return {"resets": resets, "frames": frames, "missed": missed}

    def hand_over(self) -> str:
        """Leave the stub, and the machine stopped where it is, to another
        debugger: our breakpoint and watchpoint go, and the connection closes without a
        detach (a detach would resume the guest; a plain close leaves it
        stopped, and QEMU stops it again for the next client anyway).
        Returns the stub's socket path; this machine runs no more here."""
        try:
            self.gdb.remove_watchpoint(self.off_mark, 4, "w")
        except GdbError:
            pass                         # was not set (stopped at the boot hook)
        # the console ring is followed from here (debugger.ConsoleFiles)
        self.gdb.remove_watchpoint(self.ring_mark, 4, "w")
        try:
            self.gdb.remove_watchpoint(self.plan_mark, 4, "w")
        except GdbError:
            pass                         # was not set or is gone already
        self.gdb.close()
        self.gdb = None
        self.broken = "handed over to another debugger"
        return self.q.gdb_socket

    @property
    def serial_text(self) -> str:
        return self.q.serial.text

    def close(self):
        if self.mon is not None:
            self.mon.close()
        if self.gdb is not None:
            try:
                self.gdb.close()
            except Exception:
                pass
        self.q.close()
