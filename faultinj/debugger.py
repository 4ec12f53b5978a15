"""Real gdb on the OS: `make gdb` (and `make run GDB=1`) boot the system
stopped at its first instruction and start Debian's gdb on QEMU's stub,
with the kernel's symbols and every program's (faultinj/gdbfiles.py);
`make gdb EXP=...` does the same for one campaign experiment stopped at
its plan point (campaigns/replay.py); `make gdb ATTACH=SOCKET` attaches
to a stub that is already running.

The guest's console goes to a log file (tail -f it) and a FIFO takes
input for the shell, since gdb owns the terminal. While gdb runs, a notice
next to the socket names it (faultinj/stubhold.py), so that a second client
is told who holds the stub instead of waiting on it forever.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterable, Optional, Sequence

from . import bootimage, exitcodes, gdbfiles, stubhold
from .qemu import Qemu, wait_for_stub_socket

GDB = os.environ.get("FAULTINJ_GDB", "gdb")     # which gdb to run


def _gdb_quote(text: str) -> str:
    """Text for gdb's `echo` (backslash escapes, no newline of its own;
    echo drops leading blanks unless escaped)."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    body = text.lstrip(" ")
    return "\\ " * (len(text) - len(body)) + body


def load_order(files: dict) -> list:
    """Every program, the boot image's first in boot order (RS first): where
    programs overlap, gdb names an address after the file loaded first."""
    boot = [m if isinstance(m, str) else m[0] for m in bootimage.SYSTEM]
    rest = sorted(n for n in files if n != "kernel" and n not in boot)
    return [n for n in boot if n in files] + rest


def session_file(path: Path, sock: str, files: dict, services: Optional[Sequence[str]],
                 before: Iterable[str] = (), banner: Iterable[str] = ()) -> Path:
    """The file gdb runs first: symbols, the connection, the notes."""
    names = list(services) if services else load_order(files)
    unknown = [n for n in names if n not in files]
    if unknown:
        raise SystemExit(f"faultinj gdb: no program {', '.join(unknown)} in the build "
                         f"(known: {', '.join(n for n in files if n != 'kernel')})")
    # add-symbol-file tells of every section: quietly, through python
    quiet = 'python gdb.execute("source {}", to_string=True)'
    lines = ["set pagination off", "set confirm off", quiet.format(files["kernel"])]
    lines += [quiet.format(files[n]) for n in names]
    lines.append(f"echo symbols: kernel, {_gdb_quote(', '.join(names))}\\n")
    lines += ["set confirm on", f"target remote {sock}", *before]
    lines += [f"echo {_gdb_quote(b)}\\n" for b in banner]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_gdb(sock: str, *, build: Path = None, services: Optional[Sequence[str]] = None,
            gdb_args: Sequence[str] = (), before: Iterable[str] = (),
            banner: Iterable[str] = (), workdir: Optional[str] = None) -> int:
    """gdb on the stub at sock, in the foreground; its exit status.
    Refuses (StubHeld) if another client holds the stub."""
    stubhold.check_free(sock)
    build = Path(build or bootimage.BUILD)
    files = gdbfiles.write(build, build / "gdb")
    workdir = workdir or os.path.dirname(sock)
    session = session_file(Path(workdir) / "session.gdb", sock, files, services, before, banner)
    if shutil.which(GDB) is None:
        raise SystemExit(f"faultinj gdb: {GDB} not found (make deps installs gdb)")
    token = f"gdb-{os.getpid()}"
    p = subprocess.Popen([GDB, "-q", "-x", str(session), *gdb_args])
    stubhold.claim(sock, p.pid, f"gdb started by make gdb, launcher pid {os.getpid()}", token)
    # Ctrl-C is gdb's (it stops the guest); we only wait for gdb to end
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return p.wait()
    finally:
        signal.signal(signal.SIGINT, old)
        stubhold.release(sock, token)


# how a guest ends itself (faultinj/exitcodes.py): a debugging session's end
GUEST_ENDS = (exitcodes.HALT, exitcodes.PANIC, exitcodes.DEADLINE, exitcodes.RESET,
              exitcodes.TEST_FAIL)


def session_status(gdb_status: int, q: Qemu) -> int:
    """make gdb's exit status: gdb's, except when the guest ended the run
    itself. gdb then loses its stub ("Remote connection closed"), which a
    batch gdb counts as a failed command (status 1), though the session
    ended as it should: 0, and how the guest ended is said."""
    if gdb_status == 0 or q.proc is None:
        return gdb_status
    # gdb sees the stub's socket close a moment before QEMU's process has
    # exited: give it a few seconds to be seen gone (CI saw it still alive)
    deadline = time.monotonic() + 5.0
    while q.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if q.alive():
        return gdb_status
    r = q.result or q.wait(5)
    if r.outcome not in GUEST_ENDS:
        return gdb_status
    print(f"make gdb: the guest ended the run ({r.outcome}, QEMU exit status "
          f"{r.exit_status}); gdb's lost connection is that end", file=sys.stderr)
    return 0


class ConsoleFiles:
    """The guest's serial console as files, while gdb holds the terminal:
    `console.log` grows with the output, `console.in` (a FIFO) feeds input."""

    def __init__(self, q: Qemu, log: Optional[str] = None):
        self.q = q
        # a log outside QEMU's temp dir outlives the run (CONSOLE=file)
        self.log = os.path.abspath(log) if log else os.path.join(q.tmpdir, "console.log")
        self.fifo = os.path.join(q.tmpdir, "console.in")
        os.mkfifo(self.fifo)
        open(self.log, "w").close()
        self._stop = threading.Event()
        self._out = threading.Thread(target=self._copy_out, daemon=True)
        self._out.start()
        threading.Thread(target=self._copy_in, daemon=True).start()

    def _copy_out(self):
        done = 0
        with open(self.log, "a") as f:
            while True:
                stopping = self._stop.is_set()
                self.q.follow()              # a harness machine's console ring
                text = self.q.serial.text
                if len(text) > done:
                    f.write(text[done:])
                    f.flush()
                    done = len(text)
                if stopping:
                    return                   # what QEMU printed is all in
                self._stop.wait(0.1)

    def _copy_in(self):
        while not self._stop.is_set():
            try:
                with open(self.fifo, "rb") as f:     # blocks until a writer comes
                    for chunk in iter(lambda: f.read1(4096), b""):
                        self.q.write(chunk)
            except Exception:
                return

    def stop(self):
        """Stop copying, after a last copy of everything QEMU printed."""
        self._stop.set()
        self._out.join(5)


def finish(q: Qemu, console: Optional[ConsoleFiles]) -> None:
    """After gdb: the console log complete (if the guest ended, all it
    printed), then QEMU gone."""
    if console is not None:
        if q.proc is not None and not q.alive():
            q.wait(5)                        # the serial reader drains to EOF
        console.stop()
    q.close()


def boot_stopped(modules=None, append: str = "") -> Qemu:
    """The system `make run` boots (bootimage.system()), stopped at its
    first instruction (-S) with its stub on a unix socket."""
    mods = bootimage.system() if modules is None else modules
    q = Qemu(bootimage.kernel_path(), bootimage.modules(mods), gdb=True, append=append,
             timeout=10 ** 7)
    q.start()
    if not wait_for_stub_socket(q.gdb_socket, q.alive):
        raise SystemExit(f"faultinj gdb: QEMU made no stub socket ({q.stderr_text()[-300:]})")
    return q


def first_instruction_banner(console: ConsoleFiles) -> list:
    return [
        "",
        "make gdb: the system is stopped at its first instruction (reset vector).",
        "Breakpoints: use hbreak (hardware): the loaders write the kernel and",
        "every program into memory after this point. In a program:",
        "  hbreak-in rs do_request     stops only while process rs runs",
        "  svc rs                      keep only rs's symbols (all loaded now)",
        f"console: tail -f {console.log}    input: echo 'service list' > {console.fifo}",
        "",
    ]


def main_boot(services=None, gdb_args=(), build=None, console_log=None) -> int:
    """make gdb: boot stopped, gdb on it, everything gone when gdb ends."""
    q = boot_stopped()
    console = None
    try:
        console = ConsoleFiles(q, console_log)
        return session_status(run_gdb(q.gdb_socket, build=build, services=services,
                                      gdb_args=gdb_args, banner=first_instruction_banner(console)),
                              q)
    finally:
        finish(q, console)


def main_attach(target: str, services=None, gdb_args=(), build=None) -> int:
    """make gdb ATTACH=SOCKET (or the QEMU temp dir holding gdb.sock)."""
    sock = os.path.join(target, "gdb.sock") if os.path.isdir(target) else target
    if not os.path.exists(sock):
        raise SystemExit(f"faultinj gdb: no stub socket at {sock}")
    with tempfile.TemporaryDirectory(prefix="faultinj-gdb-") as d:
        return run_gdb(sock, build=build, services=services, gdb_args=gdb_args, workdir=d)


def main(a) -> int:
    """python3 -m faultinj gdb ... (argparse namespace from __main__)."""
    services = [s for s in (a.service or "").split(",") if s] or None
    try:
        if a.attach:
            return main_attach(a.attach, services, a.gdb_args, Path(a.build))
        return main_boot(services, a.gdb_args, Path(a.build), a.console_log)
    except stubhold.StubHeld as e:
        print(f"faultinj gdb: {e}", file=sys.stderr)
        return 3
