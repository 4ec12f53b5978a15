"""The campaign's worker processes, which may die: each runs one
experiment at a time (engine.run_one) and sends its result home; the
parent watches their pipes and their exits together, so a worker killed
in the middle of an experiment (kill -9, the OOM killer, a crash of the
interpreter) never leaves the campaign waiting for a result that cannot
come. Its experiment is given to a new worker once more; if that one dies
too, the experiment is recorded as harness_error with the cause, and the
campaign goes on and finishes.

A worker dies with its parent (PR_SET_PDEATHSIG), and its QEMUs die with
it (faultinj/qemu.py sets the same for them), so no machine outlives a
killed campaign; the temp dirs such a death leaves are removed here as
soon as it is seen, and said so.

CAMPAIGN_WORKER_DIE=ID (a test of this file, tests/test_campaign_kill.py):
a worker kills itself with SIGKILL when it is given experiment ID, as
kill -9 would, so that "dies twice" can be tested without racing it.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from multiprocessing.connection import wait
from typing import Callable, Dict, List, Optional

ATTEMPTS = 2                   # a worker's death is retried once
DIE_VAR = "CAMPAIGN_WORKER_DIE"


def _die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _serve(conn, init: Callable[[], None], one: Callable[[str], Dict], parent: int,
           close_fds: List[int]) -> None:
    """A worker's life: experiments in, results out, until told to stop."""
    _die_with_parent()
    if os.getppid() != parent:      # the parent died before the line above
        os._exit(1)
    for fd in close_fds:            # the campaign's lock stays the parent's alone
        try:
            os.close(fd)
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to act on
    init()
    die_on = os.environ.get(DIE_VAR)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        exp_id, causes = job
        if die_on and exp_id == die_on:
            os.kill(os.getpid(), signal.SIGKILL)
        conn.send(one(exp_id, causes))


def death_cause(pid: int, exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker process {pid} died (killed by {name})"
    return f"worker process {pid} died (exit status {exitcode})"


class _Worker:
    def __init__(self, ctx, target_args):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, *target_args), daemon=True)
        self.proc.start()
        child.close()
        self.exp: Optional[str] = None      # the experiment it is running
        self.groups: set = set()            # of the experiments it was given

    def give(self, exp_id: str, causes: List[str]) -> None:
        self.exp = exp_id
        self.conn.send((exp_id, list(causes)))

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass


def _next(pending: deque, w: _Worker, workers: List[_Worker],
          group: Optional[Callable[[str], object]]) -> str:
    """The pending id to give the idle worker w. Each group (the machine an
    experiment runs on: group(id)) costs a worker that has not run one
    of it a new machine, ~0.2-0.3 s of host time. So w takes, the first
    in order of: one of a group only w has run (so it empties that group
    while the others do the rest), one of a group it has run, one of a
    group no worker has, and only then one another worker's machine could
    have run (at the start, the first group on each worker; at the end,
    rather than wait)."""
    if group is not None:
        others = set().union(*(x.groups for x in workers if x is not w))
        for wanted in (lambda g: g in w.groups and g not in others,
                       lambda g: g in w.groups,
                       lambda g: g not in others):
            for k, i in enumerate(pending):
                if wanted(group(i)):
                    del pending[k]
                    return i
    return pending.popleft()


def run(ids: List[str], jobs: int, init: Callable[[], None],
        one: Callable[[str, List[str]], Dict], on_result: Callable[[Dict], None],
        on_death: Callable[[str, str, List[str]], Dict],
        close_fds: List[int] = (), say: Callable[[str], None] = print,
        group: Optional[Callable[[str], object]] = None) -> None:
    """Run every id in `jobs` workers: one(exp_id, causes) in a worker,
    causes being why its earlier attempts ended (their workers died);
    on_result(result) in this process for each. A death on the last
    attempt is recorded by on_death(exp_id, cause, earlier causes), which
    returns the result to pass on. group(id), if given, names the machine
    the experiment needs: ids go preferably to a worker that has it
    (_next)."""
    ctx = multiprocessing.get_context("fork")
    args = (init, one, os.getpid(), list(close_fds))
    pending = deque(ids)
    causes: Dict[str, List[str]] = {i: [] for i in ids}
    workers: List[_Worker] = []
    try:
        while pending or any(w.exp for w in workers):
            # as many workers as there is work for, each busy
            while len(workers) < min(jobs, len(pending) + sum(1 for w in workers if w.exp)):
                workers.append(_Worker(ctx, args))
            for w in workers:
                if w.exp is None and pending:
                    i = _next(pending, w, workers, group)
                    if group is not None:
                        w.groups.add(group(i))
                    try:
                        w.give(i, causes[i])
                    except OSError:
                        pass                 # dead already: its sentinel says so below
            ready = wait([w.conn for w in workers] + [w.proc.sentinel for w in workers])
            for w in list(workers):
                result = None
                if w.conn in ready:
                    try:
                        result = w.conn.recv()
                    except (EOFError, OSError):
                        result = None        # died while sending: its exit tells
                if result is not None:
                    w.exp = None
                    on_result(result)
                    continue
                if w.proc.sentinel not in ready and w.proc.is_alive():
                    continue
                w.proc.join()
                workers.remove(w)
                if w.exp is None:
                    continue
                cause = death_cause(w.proc.pid, w.proc.exitcode)
                _clean_after(say)
                n = len(causes[w.exp]) + 1            # the attempt that died
                if n < ATTEMPTS:
                    say(f"{cause} while running {w.exp}: running it again "
                        f"(attempt {n + 1} of {ATTEMPTS})")
                    causes[w.exp].append(cause)
                    pending.appendleft(w.exp)
                else:
                    say(f"{cause} while running {w.exp}, attempt {n} of {ATTEMPTS}: "
                        f"recorded as harness_error")
                    on_result(on_death(w.exp, cause, causes[w.exp]))
        for w in workers:
            w.stop()
        for w in workers:
            w.proc.join(30)
    finally:
        # an interrupted campaign: SIGTERM first, which closes each
        # worker's QEMUs and their dirs (faultinj/qemu.py), then SIGKILL
        for w in workers:
            if w.proc.is_alive():
                w.proc.terminate()
        for w in workers:
            w.proc.join(10)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join()


def _clean_after(say: Callable[[str], None]) -> None:
    """The temp dirs a dead worker's machines left (their QEMUs died with it)."""
    from faultinj import qemu
    removed = qemu.clean_stale_tmpdirs()
    if removed:
        say(f"removed {len(removed)} temp dirs the dead worker left: {', '.join(removed)}")
