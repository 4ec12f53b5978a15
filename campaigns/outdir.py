"""A campaign's output directory is one campaign's, one run at a time.

lock(): the run holds an exclusive flock on OUT/campaign.lock for as long
as it runs; a second campaign on the same directory is refused at once
with the holder's pid, spec and start, instead of interleaving its
records into the first one's journal. The kernel drops a flock when its
last descriptor closes, so any exit (even SIGKILL) releases it; a stale
lock file is harmless and is simply taken again.

claim(): OUT/campaign-spec records which spec file the directory belongs
to. The default directory is reports/out/<campaign name>, so two spec
files that name their campaign alike would write one report and one
journal; the second is refused, naming both files, rather than given a
derived directory whose name nobody would guess (a report is looked for
where the campaign's name says).
"""

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Optional

from .check import InputError

LOCK = "campaign.lock"
OWNER = "campaign-spec"


class Busy(InputError):
    """The output directory cannot be used by this campaign now (refused
    like any other bad input: one message, before any machine starts)."""


class Lock:
    """The held lock; release() (or the process's end) gives it up."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)       # the flock goes with the descriptor
            self.fd = None

    __del__ = release


def lock(out: Path, spec: Path) -> Lock:
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    # O_CLOEXEC: QEMU and gdb never hold it; forked workers close it
    # (campaigns/workers.py) so that the lock dies with this process
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise Busy(f"{out} is in use by another campaign ({holder}); wait for it to end, "
                   f"or give this one another directory (CAMPAIGN_OUT=DIR, or --out DIR)")
    info = json.dumps({"pid": os.getpid(), "spec": str(spec),
                       "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, info + b"\n", 0)
    return Lock(path, fd)


def _read_holder(fd: int) -> str:
    try:
        d = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {d['pid']}, spec {d['spec']}, started {d['started']}"
    except (ValueError, KeyError, OSError):
        return "its details unreadable"


def owner(out: Path) -> Optional[str]:
    try:
        return (out / OWNER).read_text().strip() or None
    except OSError:
        return None


def claim(out: Path, spec: Path, name: str) -> None:
    """Record spec as the directory's; refuse (Busy) if another spec file
    wrote it."""
    spec = spec.resolve()
    held = owner(out)
    if held and held != str(spec):
        raise Busy(f"{out} holds the report and journal of campaign '{name}' from {held}; "
                   f"{spec} names its campaign '{name}' too and would overwrite them. "
                   f"Rename one (its `campaign` line), give this run another directory "
                   f"(CAMPAIGN_OUT=DIR, or --out DIR), or remove {out}")
    if held is None:
        out.mkdir(parents=True, exist_ok=True)
        (out / OWNER).write_text(str(spec) + "\n")
