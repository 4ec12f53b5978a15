"""Temp dirs that name their owner process, and the removal of those whose
owner is gone.

A process killed by SIGKILL runs no atexit, no finally and no signal
handler: the dirs it made stay. Each dir made here holds owner.pid, so the
next run (a campaign's prepare, a remote worker's start) can tell a dead
owner's dir from a live one and remove it, and say what it removed.
"""

import os
import shutil
import tempfile
import time
from typing import Iterable, List, Optional

OWNER = "owner.pid"


def owned_dir(prefix: str, base: Optional[str] = None) -> str:
    """A new temp dir that records this process as its owner."""
    d = tempfile.mkdtemp(prefix=prefix, dir=base)
    with open(os.path.join(d, OWNER), "w") as f:
        f.write(str(os.getpid()))
    return d


def _owner_gone(d: str, max_age_s: float) -> bool:
    try:
        with open(os.path.join(d, OWNER)) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        # no owner written (killed between mkdtemp and the write): only
        # once it is old, so that a dir being made now is left alone
        try:
            return time.time() - os.path.getmtime(d) > max_age_s
        except OSError:
            return False
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False            # alive, another user's
    return False


def clean_stale(prefixes: Iterable[str], bases: Iterable[str],
                max_age_s: float = 600.0) -> List[str]:
    """Remove the dirs named prefix* in the bases whose owner process is
    gone; returns their paths."""
    prefixes = tuple(prefixes)
    removed = []
    for base in sorted(set(bases)):
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            d = os.path.join(base, name)
            if not name.startswith(prefixes) or not os.path.isdir(d):
                continue
            if _owner_gone(d, max_age_s):
                shutil.rmtree(d, ignore_errors=True)
                if not os.path.exists(d):
                    removed.append(d)
    return removed
