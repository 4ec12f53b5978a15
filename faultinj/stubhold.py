"""Who holds a QEMU GDB stub: a notice file next to the stub's socket.

QEMU's gdb chardev serves one client at a time. A second client's connect
succeeds (the listen backlog takes it), and then nothing ever answers: gdb
or our own GdbClient would just wait. So whoever holds a stub (the harness's
GdbClient, or the gdb that `make gdb` started) writes `<socket>.holder`
with its pid and what it is, and every client looks there first and stops
with "the stub ... is held by <pid> (...)" instead of hanging. A notice
whose pid is gone is stale and ignored.
"""

import json
import os
from typing import Optional, Tuple


class StubHeld(RuntimeError):
    """Another client holds the stub; str() says who."""


def notice_path(sock: str) -> str:
    return sock + ".holder"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder(sock: str) -> Optional[Tuple[int, str]]:
    """(pid, what) of the live holder of the stub at sock, or None."""
    try:
        with open(notice_path(sock)) as f:
            d = json.load(f)
        pid, what = int(d["pid"]), str(d.get("what", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (pid, what) if _alive(pid) else None


def message(sock: str, pid: int, what: str) -> str:
    return (f"the stub at {sock} is held by {pid} ({what}); QEMU's gdb socket "
            f"serves one client at a time: end that one first")


def check_free(sock: str) -> None:
    """StubHeld if a live client holds the stub at sock."""
    h = holder(sock)
    if h is not None:
        raise StubHeld(message(sock, *h))


def claim(sock: str, pid: int, what: str, token: str = "") -> None:
    """Write the notice (atomically: a reader never sees half of it)."""
    path = notice_path(sock)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump({"pid": pid, "what": what, "token": token}, f)
    os.replace(tmp, path)


def release(sock: str, token: str = "") -> None:
    """Remove the notice if it is the one written with this token."""
    path = notice_path(sock)
    try:
        with open(path) as f:
            if json.load(f).get("token", "") != token:
                return
        os.unlink(path)
    except (OSError, ValueError, AttributeError):
        pass
