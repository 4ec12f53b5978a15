"""make run: the whole system with its serial console on this terminal;
make qemu-gdb: the same, stopped at its first instruction until gdb
attaches (as xv6's qemu-gdb).

The command line comes from faultinj/qemu.py (Qemu.command), the one the
harness uses, with `interactive` set. `python3 -m faultinj run --print`
prints it instead of running it.

The console is quiet: QEMU's output passes through here, and the event
lines the kernel frames (faultinj/events.py: FRAME + `#EV ...`), dozens a
second, go to a log file named at the start (tail -f it), not to the
screen; EVENTS=1 (--events) shows them too. Everything else, the shell
and what programs print, reaches the terminal as it comes, a prompt
without its newline included. The terminal is in raw mode, as QEMU's own
stdio console puts it, so the guest echoes; Ctrl-C ends QEMU.
"""

import os
import signal
import subprocess
import sys
import termios
import threading
import tty
from typing import Optional

from . import bootimage, exitcodes
from .events import FRAME, PREFIX
from .qemu import Qemu, wait_for_stub_socket

MEANING = {exitcodes.HOST_HALT: "clean halt", exitcodes.HOST_PANIC: "panic",
           exitcodes.HOST_TEST_FAIL: "in-guest test failed",
           exitcodes.HOST_DEADLINE: "virtual-time limit", exitcodes.HOST_RESET: "reset (triple fault)"}
CTRL_C = b"\x03"
_FRAME = FRAME.encode()
_EVENT = (FRAME + PREFIX).encode()


def qemu(append: str = "", gdb: bool = False) -> Qemu:
    """The system `make run` boots (bootimage.SYSTEM), not started; with
    gdb, stopped at its first instruction with its stub on a socket."""
    return Qemu(bootimage.kernel_path(), bootimage.modules(bootimage.system()),
                append=append, interactive=True, gdb=gdb)


class ConsoleFilter:
    """QEMU's output split: event lines to the log (without their frame),
    the rest to the terminal at once."""

    def __init__(self, term, log, show_events: bool):
        self.term, self.log, self.show = term, log, show_events
        self.held = b""              # a framed line, until its end tells what it is
        self.line_start = True

    def feed(self, data: bytes) -> None:
        data = self.held + data
        self.held = b""
        while data:
            if self.line_start and data.startswith(_FRAME):
                end = data.find(b"\n")
                if end < 0:
                    self.held = data
                    return
                line, data = data[:end + 1], data[end + 1:]
                if line.startswith(_EVENT):
                    self.log.write(line[1:].rstrip(b"\r\n") + b"\n")
                    if not self.show:
                        continue
                self.term.write(line)         # a framed banner (a panic's) is shown
                continue
            end = data.find(b"\n")
            part, data = (data, b"") if end < 0 else (data[:end + 1], data[end + 1:])
            self.term.write(part)
            self.line_start = end >= 0
        self.term.flush()
        self.log.flush()


def _copy_input(p: subprocess.Popen, raw: bool) -> None:
    fd = sys.stdin.fileno()
    while True:
        try:
            data = os.read(fd, 1024)
        except OSError:
            return
        if not data:
            return
        if raw and CTRL_C in data:           # the terminal's Ctrl-C ends QEMU
            p.terminate()
            return
        try:
            p.stdin.write(data)
            p.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            return


def main(print_only: bool = False, append: str = "", events_log: Optional[str] = None,
         show_events: bool = False, gdb: bool = False) -> int:
    q = qemu(append, gdb)
    if print_only:
        print(q.command_line())
        return 0
    log_path = os.path.abspath(events_log or os.path.join(bootimage.BUILD, "run-events.log"))
    say = sys.stderr
    print(f"events: {log_path}  (tail -f it; make run EVENTS=1 shows them here too)", file=say)
    say.flush()
    p = subprocess.Popen(q.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    if gdb:
        # said once the stub is there: a `make gdb` run at once finds it
        if not wait_for_stub_socket(q.gdb_socket, lambda: p.poll() is None):
            p.kill()
            p.wait()
            q.close()
            print("QEMU made no GDB stub socket", file=say)
            return 1
        print(f"waiting for gdb at the first instruction; in another terminal:\n"
              f"  make gdb ATTACH={q.gdb_socket}\n"
              f"or: gdb -ex 'target remote {q.gdb_socket}' {bootimage.kernel_path()}", file=say)
        say.flush()
    raw = sys.stdin.isatty()
    saved = termios.tcgetattr(sys.stdin.fileno()) if raw else None
    # Ctrl-C arrives as a byte in raw mode; a signal (make's, kill) ends QEMU
    old = signal.signal(signal.SIGINT, lambda *_: p.terminate())
    try:
        if raw:
            tty.setraw(sys.stdin.fileno())
            mode = termios.tcgetattr(sys.stdin.fileno())
            mode[1] |= termios.OPOST | termios.ONLCR       # output as before: \n ends a line
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, mode)
        threading.Thread(target=_copy_input, args=(p, raw), daemon=True).start()
        with open(log_path, "wb") as log:
            out = ConsoleFilter(sys.stdout.buffer, log, show_events)
            while True:
                data = p.stdout.read1(65536) if hasattr(p.stdout, "read1") else \
                    os.read(p.stdout.fileno(), 65536)
                if not data:
                    break
                out.feed(data)
        status = p.wait()
    finally:
        if saved is not None:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
        signal.signal(signal.SIGINT, old)
        if p.poll() is None:
            p.kill()
            p.wait()
        q.close()                        # its temp dir (the gdb socket's)
    print(f"qemu exit status {status} ({MEANING.get(status, 'see faultinj/exitcodes.py')})",
          file=say)
    return 0
