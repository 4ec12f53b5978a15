"""Start QEMU for one experiment and make sure it never outlives us.

Each Qemu instance owns a private temp dir (GDB socket, stderr log), runs
QEMU in its own process group, streams the guest serial console into an
EventStream, and is killed by close(), by atexit, or on SIGTERM.
"""

import atexit
import ctypes
import fcntl
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

from . import conring, exitcodes, leftovers
from .events import Event, EventStream

QEMU_BINARY = "qemu-system-i386"
QBOOT_ROM = "/usr/share/qemu/qboot.rom"
# Unix socket paths must fit in sun_path (108 bytes incl. NUL).
_MAX_SOCK_PATH = 100
# the serial reader naps this long after a short read (_read_serial)
BATCH_S = 0.002


# an assertion of one of QEMU's device models: a guest's access it does
# not expect (an outl to the UART, from a kernel running garbage) aborts
_DEVICE_ASSERT = re.compile(r"^qemu-system-\w+: \S*\bhw/\S+:\d+: \w+: Assertion `", re.M)


def guest_fatal(stderr: str) -> bool:
    """QEMU ended on the guest's doing: TCG gave up on the guest's CPU state
    ("qemu: fatal:": code outside RAM, an access it cannot replay), or a
    device model asserted on what the guest did to it."""
    return "qemu: fatal:" in stderr or bool(_DEVICE_ASSERT.search(stderr))


def _widen_pipe(f) -> None:
    """Give the console's pipe the most room the host allows (1 MiB by
    default, not 64 KiB). When the pipe is full, QEMU's UART holds the byte
    and the guest's kernel polls the line status until there is room: in
    virtual time, so a reader the host did not schedule for a while (a
    loaded CI machine) changed the run, and 30 ms of it was once a lockup
    panic in the middle of a test. A larger pipe makes that much rarer;
    it does not make it impossible."""
    try:
        with open("/proc/sys/fs/pipe-max-size") as m:
            size = int(m.read())
        fcntl.fcntl(f.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), min(size, 1 << 20))
    except (OSError, ValueError):
        pass


def wait_for_stub_socket(path: str, alive, timeout: float = 30.0) -> bool:
    """True once QEMU's GDB stub socket exists at path. QEMU makes it a
    moment after it starts (~0.1 s, more on a loaded host), and a gdb
    that tries before fails with "No such file or directory". False if
    QEMU ended (alive() false) or the timeout passed first."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if not alive() or time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class QemuError(RuntimeError):
    """QEMU could not be started as asked."""


@dataclass
class RunResult:
    exit_status: Optional[int]
    outcome: str
    timed_out: bool
    serial: str
    events: List[Event]
    host_seconds: float
    stderr: str


# Every instance that owns a process or a temp dir; cleaned at exit.
# A plain set (strong refs): an instance stays registered until close().
_live: "set[Qemu]" = set()
# Reentrant: the SIGTERM handler may run while this thread holds it.
_live_lock = threading.RLock()
_sigterm_installed = False
_prev_sigterm = None


def close_all(reap_timeout: float = 10.0):
    """Close every live instance (atexit and SIGTERM use this)."""
    with _live_lock:
        instances = list(_live)
    for q in instances:
        try:
            q.close(reap_timeout=reap_timeout)
        except Exception:
            pass


def _on_sigterm(signum, frame):
    # The handler may have interrupted Popen.wait() in this very thread,
    # which holds the lock a second wait needs: SIGKILL, don't linger.
    close_all(reap_timeout=0.5)
    if callable(_prev_sigterm):
        _prev_sigterm(signum, frame)
    else:
        # Default action: die by SIGTERM as if we had never caught it.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _install_sigterm():
    """Chain a SIGTERM handler in front of whatever was there (main thread only)."""
    global _sigterm_installed, _prev_sigterm
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    prev = signal.getsignal(signal.SIGTERM)
    _sigterm_installed = True
    if prev is signal.SIG_IGN:
        return  # whoever ignores SIGTERM wants to live on
    if prev is not _on_sigterm:
        _prev_sigterm = prev if callable(prev) else None
        signal.signal(signal.SIGTERM, _on_sigterm)


atexit.register(close_all)

# Resolved in the parent: the forked child must not dlopen (another
# thread may have held the loader lock at fork time).
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """preexec_fn: SIGKILL QEMU when the thread that forked it dies.

    Covers what atexit cannot: the Python process being SIGKILLed.  Only
    used when forking from the main thread, whose death is the process's.
    """
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def clean_stale_tmpdirs(base: Optional[str] = None, max_age_s: float = 600.0) -> List[str]:
    """Remove temp dirs of runs whose owner process is gone (killed before
    close() could run); dirs without an owner file only once old. Returns
    the paths removed, for the caller to say so."""
    return leftovers.clean_stale(("faultinj-qemu-", "fiq-", conring.PREFIX),
                                 {base or tempfile.gettempdir(), "/tmp", conring.SHM_DIR},
                                 max_age_s)


def kvm_usable() -> bool:
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


class Qemu:
    def __init__(self, kernel: str, modules: Sequence[str] = (), *,
                 append: str = "", memory_mb: int = 128, icount: bool = True,
                 kvm: bool = False, gdb: bool = False, timeout: float = 60.0,
                 extra_args: Sequence[str] = (), qemu_binary: str = QEMU_BINARY,
                 interactive: bool = False, console_ring: bool = False):
        for m in modules:
            if "," in m:
                # QEMU splits -initrd on commas; a comma would split a module.
                raise ValueError(f"module string contains a comma: {m!r}")
            if not m.strip():
                raise ValueError("empty module string")
        self.kernel = kernel
        self.modules = list(modules)
        self.append = append
        self.memory_mb = memory_mb
        self.icount = icount
        self.kvm = kvm
        self.gdb = gdb
        # the console on a person's terminal (make run): Ctrl-C ends QEMU
        self.interactive = interactive
        self.timeout = timeout
        self.extra_args = list(extra_args)
        self.qemu_binary = qemu_binary
        # the kernel's console in a ring the host maps (faultinj/conring.py),
        # taken at the machine's stops (drain()): the harness's machines
        self.console_ring = console_ring
        self.ring: Optional[conring.ConsoleRing] = None
        self.uart_bytes = 0              # what came on the UART

        self.serial = EventStream()
        self.proc: Optional[subprocess.Popen] = None
        self._tmpdir: Optional[str] = None
        self._stderr_file = None
        self._reader: Optional[threading.Thread] = None
        self._lock = threading.RLock()
        self._t_start: Optional[float] = None
        self._t_end: Optional[float] = None
        self._timed_out = False
        self._killed = False
        self._closed = False
        self._result: Optional[RunResult] = None

    # -- paths ------------------------------------------------------------
    @property
    def tmpdir(self) -> str:
        with self._lock:
            if self._tmpdir is None:
                # whose dir this is (owner.pid), so a later run can clean
                # up after a process that was killed before its close() ran
                d = leftovers.owned_dir("faultinj-qemu-")
                if len(os.path.join(d, "gdb.sock")) > _MAX_SOCK_PATH:
                    shutil.rmtree(d)
                    d = leftovers.owned_dir("fiq-", "/tmp")
                self._tmpdir = d
                with _live_lock:
                    _live.add(self)
            return self._tmpdir

    @property
    def gdb_socket(self) -> Optional[str]:
        return os.path.join(self.tmpdir, "gdb.sock") if self.gdb else None

    @property
    def stderr_path(self) -> str:
        return os.path.join(self.tmpdir, "qemu.stderr")

    # -- command line ------------------------------------------------------
    def command(self) -> List[str]:
        # no ACPI tables: the kernel finds its devices at their fixed
        # addresses (the HPET's: os/kernel/lockup.c), and QEMU starts ~8 ms
        # sooner without them
        cmd = [self.qemu_binary, "-nodefaults", "-no-reboot", "-display", "none",
               "-machine", "pc,acpi=off", "-m", str(self.memory_mb),
               # the HPET's FSB (MSI) route: the kernel's lockup detector
               # gets its periodic NMI through it (os/kernel/lockup.c)
               "-global", "hpet.msi=on"]
        if os.path.exists(QBOOT_ROM):
            # qboot boots a multiboot kernel about twice as fast as SeaBIOS.
            cmd += ["-bios", QBOOT_ROM]
        append = self.append
        if self.console_ring:
            if self.ring is None:
                self.ring = conring.ConsoleRing(self.tmpdir)
            append = " ".join(a for a in (append, "console=ring") if a)
        cmd += ["-kernel", self.kernel, "-append", append]
        if self.modules:
            cmd += ["-initrd", ",".join(self.modules)]
        cmd += ["-device", f"isa-debug-exit,iobase={exitcodes.DEBUG_EXIT_PORT:#x},iosize=0x04",
                "-chardev", f"stdio,id=ser0,signal={'on' if self.interactive else 'off'}",
                "-serial", "chardev:ser0",
                "-rtc", "base=2000-01-01,clock=vm"]
        if self.icount:
            # Deterministic virtual time: runs are reproducible.
            cmd += ["-icount", "shift=0,sleep=off"]
        if self.kvm:
            cmd += ["-accel", "kvm", "-cpu", "host"]
        else:
            # umip: the kernel sets CR4.UMIP (os/kernel/protect.c), so a
            # user program cannot read the kernel's table addresses
            cmd += ["-accel", "tcg", "-cpu", "qemu32,+umip"]
        if self.ring is not None:
            cmd += self.ring.qemu_args()
        if self.gdb:
            # the machine's own watchdog (os/kernel/deadman.c): fired, it
            # stops the machine, and the stub reports the stop (SIGALRM)
            cmd += ["-device", "ib700", "-action", "watchdog=pause"]
            cmd += ["-S",
                    "-chardev", f"socket,id=gdb0,path={self.gdb_socket},server=on,wait=off",
                    "-gdb", "chardev:gdb0"]
        cmd += self.extra_args
        return cmd

    # The one QEMU command line: the harness starts it (start()), and
    # `make run` runs it on the terminal (faultinj/terminal.py).
    def command_line(self) -> str:
        """The command as a shell line, for replaying an experiment by hand."""
        return " ".join(shlex.quote(a) for a in self.command())

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "Qemu":
        with self._lock:
            if self.proc is not None:
                raise QemuError("already started")
            if self._closed:
                raise QemuError("instance is closed")
            if self.kvm and not kvm_usable():
                raise QemuError("kvm=True but /dev/kvm is not usable")
            if shutil.which(self.qemu_binary) is None and not os.path.exists(self.qemu_binary):
                raise QemuError(f"{self.qemu_binary} not found")
            cmd = self.command()
            _install_sigterm()
            self._stderr_file = open(self.stderr_path, "wb")
            main = threading.current_thread() is threading.main_thread()
            self._t_start = time.monotonic()
            try:
                self.proc = subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=self._stderr_file, bufsize=0, close_fds=True,
                    start_new_session=True,
                    preexec_fn=_die_with_parent if (main and _prctl) else None)
            except OSError as e:
                self._stderr_file.close()
                raise QemuError(f"cannot start {cmd[0]}: {e}") from e
            _widen_pipe(self.proc.stdout)
            self._reader = threading.Thread(
                target=self._read_serial, name=f"qemu-serial-{self.proc.pid}",
                daemon=True)
            self._reader.start()
            return self

    def _read_serial(self):
        out = self.proc.stdout
        try:
            while True:
                try:
                    data = out.read(65536)
                except (OSError, ValueError):
                    break
                if not data:
                    break
                self.uart_bytes += len(data)
                self.serial.feed(data)
                # QEMU's UART writes each byte with its own syscall: read
                # at once, this thread woke (and took the GIL from the
                # harness) about once a byte, ~10% of a campaign's host
                # time. A short nap lets a line's bytes gather; events
                # reach waiters at most BATCH_S later.
                if len(data) < 4096:
                    time.sleep(BATCH_S)
        finally:
            if self.ring is None:
                self.serial.close()      # else _finish, once it took the ring's last bytes

    def drain(self) -> None:
        """Take what the kernel put in the console ring since the last
        drain into the event stream. Only with the machine stopped (at a
        stop of its stub) or gone: the ring's next byte then goes to its
        start."""
        self._take_ring(reset=True)

    def follow(self) -> None:
        """Take what the kernel put in the console ring so far while it
        runs on (a console shown to a person: faultinj/debugger.py)."""
        self._take_ring(reset=False)

    def _take_ring(self, reset: bool) -> None:
        if self.ring is not None:
            lost = self.ring.lost
            data = self.ring.take(reset)
            if data:
                self.serial.feed(data, timed=False)
            if self.ring.lost > lost:
                self.serial.note_lost(self.ring.lost - lost)

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def write(self, text) -> None:
        """Send bytes (or UTF-8 text) to the guest's serial input."""
        if self.proc is None:
            raise QemuError("not started")
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as e:
            raise QemuError(f"QEMU is not accepting input: {e}") from e

    def _kill_group(self, reap_timeout: float = 10.0):
        """SIGKILL QEMU's process group, only while QEMU is unreaped.

        Once reaped its pid (= pgid) could be reused by someone else.
        """
        p = self.proc
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                p.wait(timeout=reap_timeout)
            except subprocess.TimeoutExpired:
                pass
        if self._t_end is None and self._t_start is not None:
            self._t_end = time.monotonic()

    def kill(self) -> None:
        """SIGKILL QEMU now; a later wait() reports outcome "killed"."""
        with self._lock:
            if self.alive():
                self._killed = True
            self._kill_group()

    def wait(self, timeout: Optional[float] = None) -> RunResult:
        """Wait for QEMU to exit; kill it at the deadline and call it a timeout.

        The deadline is the instance timeout counted from start(), or
        `timeout` seconds from now if that is given.
        """
        if self.proc is None:
            raise QemuError("not started")
        if timeout is None:
            remaining = self._t_start + self.timeout - time.monotonic()
        else:
            remaining = timeout
        try:
            self.proc.wait(timeout=max(remaining, 0))
        except subprocess.TimeoutExpired:
            with self._lock:
                if self.proc.poll() is None:
                    self._timed_out = True
                self._kill_group()
        if self._t_end is None:
            self._t_end = time.monotonic()
        return self._finish()

    def _finish(self, join_timeout: float = 5.0) -> RunResult:
        # The reader sees EOF once QEMU is gone; join so serial is complete.
        if self._reader is not None:
            self._reader.join(timeout=join_timeout)
        if self.ring is not None:
            self.drain()
            self.serial.close()
        status = self.proc.returncode
        result = RunResult(
            exit_status=status,
            outcome=exitcodes.outcome_for(status, self._timed_out, self._killed),
            timed_out=self._timed_out,
            serial=self.serial.text,
            events=self.serial.events,
            host_seconds=(self._t_end or time.monotonic()) - self._t_start,
            stderr=self.stderr_text())
        if result.outcome == exitcodes.ERROR and guest_fatal(result.stderr):
            result.outcome = exitcodes.FATAL
        self._result = result
        return result

    @property
    def result(self) -> Optional[RunResult]:
        return self._result

    def stderr_text(self) -> str:
        if self._tmpdir is None:
            return ""
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def close(self, reap_timeout: float = 10.0) -> None:
        """Kill QEMU if still running and remove the temp dir.  Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.alive():
                self._killed = True
            self._kill_group(reap_timeout)
            if self.proc is not None:
                try:
                    self.proc.stdin.close()
                except Exception:
                    pass
                if self._reader is not None:
                    self._reader.join(timeout=min(5.0, reap_timeout))
                try:
                    self.proc.stdout.close()
                except Exception:
                    pass
                if self._result is None:
                    try:
                        self._finish(join_timeout=min(5.0, reap_timeout))
                    except Exception:
                        pass
            if self.ring is not None:
                self.ring.close()
            if self._stderr_file is not None:
                self._stderr_file.close()
            if self._tmpdir is not None:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
        with _live_lock:
            _live.discard(self)

    def __enter__(self) -> "Qemu":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def run(kernel: str, modules: Sequence[str] = (), **kw) -> RunResult:
    """Boot, wait for QEMU to exit (or time out), clean up."""
    with Qemu(kernel, modules, **kw) as q:
        return q.wait()
