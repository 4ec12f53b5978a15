"""Drive the OS's serial shell: type a command, wait for its result.

The shell ends every command with an event line
`#EV ... ev=shell_done cmd="..." result=N`, so a caller knows exactly when
a command has finished and how.
"""

from typing import Optional

from .events import Event
from .qemu import Qemu


class ShellError(AssertionError):
    pass


class Console:
    def __init__(self, qemu: Qemu):
        self.q = qemu

    def wait_ready(self, timeout: float = 30.0) -> Event:
        """Wait until RS has brought every boot service up."""
        return self.q.serial.wait_kind("ready", timeout, who="rs")

    def wait_event(self, kind: str, timeout: float = 30.0, since: int = 0, **fields) -> Event:
        return self.q.serial.wait_kind(kind, timeout, since=since, **fields)

    def mark(self) -> int:
        """Index to pass as `since` to wait only for later events."""
        return len(self.q.serial.events)

    def run(self, command: str, timeout: float = 30.0, expect: Optional[int] = 0) -> Event:
        """Type one shell command and return its shell_done event."""
        since = self.mark()
        self.q.write(command + "\r")
        ev = self.q.serial.wait_for(
            lambda e: e.kind == "shell_done" and e.get("cmd") == command,
            timeout, since=since)
        if expect is not None and ev.int("result") != expect:
            raise ShellError(f"{command!r} returned {ev.int('result')}, wanted {expect}\n"
                             f"{self.q.serial.tail(3000)}")
        return ev

    def workload(self, target: str, n: int, timeout: float = 60.0) -> Event:
        """`run wl TARGET N` from the shell, and that client's result line
        (ev=wl_done)."""
        m = self.mark()
        self.run(f"run wl {target} {n}", timeout=timeout)
        return self.wait_event("wl_done", since=m, timeout=timeout)

    def service_row(self, label: str) -> Event:
        """RS's table row of one service, as `service list` prints it."""
        m = self.mark()
        self.run("service list")
        return self.events("service", since=m, label=label)[0]

    def events(self, kind: str, since: int = 0, **fields):
        return [e for e in self.q.serial.events[since:] if e.kind == kind
                and all(e.get(k) == str(v) for k, v in fields.items())]
