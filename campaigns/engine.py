"""The campaign engine, as plain functions: spec -> experiments -> journal
-> report, one way.

    run = engine.prepare(Settings(spec="campaigns/specs/quick.spec"))
    for exp in run.experiments: engine.run_one(run, exp)    # any process
    summary = engine.finish(run)

or all of it at once, with worker processes and a progress line per
experiment: engine.run_campaign(Settings(...), jobs=2) (`python3 -m
campaigns run SPEC`). pytest (campaigns/test_campaign.py, conftest.py) is
another way to call the same three steps, with xdist for the workers: the
campaign is checked, the journal resumed or set aside, each experiment run
or reused, and the report written by exactly this code in both cases. The
report itself is `python3 -m reports` run on the journal (write_report):
campaigns/ never imports reports/.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional

from . import outdir, runner, workers
from . import spec as specmod
from .journal import Journal

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Settings:
    spec: str = "campaigns/specs/default.spec"
    only: str = ""                 # comma-separated ids or globs
    # report directory: default reports/out/<name>, reports/coverage/<name>
    # for a coverage campaign (default_out), so neither replaces the other
    out: Optional[str] = None
    fresh: bool = False            # set the journal aside and run everything again
    coverage: bool = False         # gcov counters after every experiment (coverage build)
    baseline: Optional[str] = None  # a campaign the report compares with (reports/compare.py)
    # the spec as the replay command names it, when this process reads a
    # copy of it elsewhere (a remote worker: campaigns/worker_run.py)
    replay_spec: Optional[str] = None

    @classmethod
    def from_env(cls) -> "Settings":
        """What the Makefile passes to pytest."""
        return cls(spec=os.environ.get("CAMPAIGN_SPEC", cls.spec),
                   only=os.environ.get("CAMPAIGN_ONLY", ""),
                   out=os.environ.get("CAMPAIGN_OUT") or None,
                   fresh=os.environ.get("CAMPAIGN_FRESH") == "1",
                   coverage=os.environ.get("OS_COVERAGE") == "1",
                   baseline=os.environ.get("CAMPAIGN_BASELINE") or None)

    @property
    def spec_file(self) -> Path:
        return Path(self.spec) if os.path.isabs(self.spec) else ROOT / self.spec


@dataclass
class Run:
    settings: Settings
    campaign: specmod.Campaign
    experiments: List[specmod.Experiment]
    out: Path
    fingerprint: str
    reused: int = 0                # experiments the journal already held
    lock: Optional[outdir.Lock] = None   # held by the process that prepared it
    _done: Optional[Dict[str, Dict]] = field(default=None, repr=False)

    @property
    def journal(self) -> Journal:
        return Journal(str(self.out / "journal.jsonl"))

    @property
    def coverage_acc(self) -> Optional[str]:
        return str(self.out / "coverage" / "gcda") if self.settings.coverage else None


def load(settings: Settings) -> specmod.Campaign:
    """The campaign of a spec that was already checked (campaigns/check.py)."""
    return specmod.load(str(settings.spec_file))


_qemu_version: Optional[str] = None
_qemu_version_asked: Optional[threading.Thread] = None


def _ask_qemu_version() -> None:
    global _qemu_version
    from faultinj import qemu
    try:
        p = subprocess.run([qemu.QEMU_BINARY, "--version"], capture_output=True,
                           text=True, timeout=30)
        _qemu_version = (p.stdout.splitlines() or ["?"])[0].strip()
    except (OSError, subprocess.SubprocessError) as e:
        _qemu_version = f"unknown ({e})"


def ask_qemu_version() -> None:
    """Start asking QEMU its version beside the build (prepare): QEMU
    takes ~50 ms to start, which each campaign waited for in turn."""
    global _qemu_version_asked
    if _qemu_version is None and _qemu_version_asked is None:
        _qemu_version_asked = threading.Thread(target=_ask_qemu_version, daemon=True)
        _qemu_version_asked.start()


def qemu_version() -> str:
    """`qemu-system-i386 --version`'s first line: another QEMU may run the
    same guest to other traces (TCG, icount), so its results are not
    resumed."""
    if _qemu_version is None and _qemu_version_asked is not None:
        _qemu_version_asked.join()
    if _qemu_version is None:
        _ask_qemu_version()
    return _qemu_version


def harness_files(root: Path = ROOT) -> List[Path]:
    """The host code and every contract file (contract/*: the .def files the
    guest is built from and the host reads, and their generators)."""
    files = []
    for d in ("campaigns", "faultinj", "reports"):
        files += sorted((root / d).glob("*.py"))
    files += sorted(p for p in (root / "contract").iterdir() if p.is_file())
    return files


def fingerprint(settings: Settings, root: Path = ROOT, build: Optional[Path] = None) -> str:
    """Hash of the built binaries, the harness, the contract, the QEMU and
    the spec: a journal is only resumed for the same OS, the same runner,
    the same emulator and the same campaign."""
    from faultinj import bootimage
    h = hashlib.sha256()
    files = sorted(Path(build or bootimage.BUILD).glob("*.elf")) + harness_files(root)
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() if root in p.parents else p.name.encode())
        h.update(p.read_bytes())
    h.update(qemu_version().encode())
    h.update(settings.spec_file.read_bytes() if settings.spec_file.exists() else b"")
    return h.hexdigest()[:16]


def default_out(name: str, coverage: bool) -> Path:
    """Where a campaign's report goes unless told: a coverage campaign runs
    another build (so another fingerprint), and in the campaign's directory
    its journal would set the other's aside and its counters be deleted by
    the other: each has a tree of its own."""
    return ROOT / "reports" / ("coverage" if coverage else "out") / name


def open_run(settings: Settings) -> Run:
    """A run's view of an already prepared campaign (what a worker needs)."""
    campaign = load(settings)
    exps = campaign.select(settings.only.split(",")).experiments if settings.only \
        else campaign.experiments
    out = Path(settings.out) if settings.out else default_out(campaign.name, settings.coverage)
    return Run(settings, campaign, exps, out, fingerprint(settings))


def start_journal(run: Run) -> bool:
    """A journal of another build, harness or spec (or any, with fresh) is
    set aside as journal.jsonl.old, with the coverage counters it came
    with, not resumed. True if it was set aside."""
    run.out.mkdir(parents=True, exist_ok=True)
    j = run.journal
    stale = run.settings.fresh or any(r.get("build") != run.fingerprint for r in j.records())
    if j.bad_lines:
        print(f"warning: {j.path}: skipped unreadable lines "
              + ", ".join(f"{n} ({why})" for n, why in j.bad_lines), file=sys.stderr)
    if stale and os.path.exists(j.path):
        os.replace(j.path, str(j.path) + ".old")
        if (run.out / "coverage").exists():
            shutil.rmtree(run.out / "coverage")
        run._done = None
        return True
    return False


def prepare(settings: Settings, check: bool = True, spec_var: str = "SPEC",
            only_var: str = "ONLY") -> Run:
    """Once per campaign, before any machine starts: the input checked
    against the built system (messages name spec_var/only_var), temp dirs
    of killed runs cleaned, the journal resumed or set aside."""
    from faultinj import bootimage, qemu
    ask_qemu_version()
    bootimage.build()
    if check:
        from . import check as checkmod
        checkmod.campaign_input(settings.spec, settings.only, build=bootimage.BUILD, root=ROOT,
                                spec_var=spec_var, only_var=only_var)
    removed = qemu.clean_stale_tmpdirs()
    if removed:
        print(f"removed {len(removed)} temp dirs of killed runs: {', '.join(removed)}",
              file=sys.stderr)
    run = open_run(settings)
    # one campaign at a time in a directory, and only the one whose spec
    # made it (campaigns/outdir.py): refused like bad input
    run.lock = outdir.lock(run.out, run.settings.spec_file)
    try:
        outdir.claim(run.out, run.settings.spec_file, run.campaign.name)
        start_journal(run)
    except BaseException:
        run.lock.release()
        raise
    return run


def finished(run: Run) -> Dict[str, Dict]:
    """What the journal held when this process first looked: each
    experiment runs in exactly one process, so once is enough to resume."""
    if run._done is None:
        run._done = {r["id"]: r for r in run.journal.results()}
    return run._done


def run_one(run: Run, exp: specmod.Experiment, retry_causes: Optional[List[str]] = None) -> Dict:
    """The experiment's result: the journal's, if it holds one that is not
    a harness error (a replay with `only` always runs again), else a new
    run, journaled as soon as it ends. A run that ends in harness_error is
    run once more (workers.ATTEMPTS in all, counting retry_causes: the
    attempts whose worker died)."""
    result = finished(run).get(exp.id)
    if result is not None and (result.get("error") or result.get("outcome") == "harness_error"):
        result = None                     # the harness failed, not the OS: run it again
    if result is not None and not run.settings.only:
        return dict(result, reused=True)
    causes = list(retry_causes or ())
    while True:
        result = runner.run(exp, campaign=run.campaign,
                            spec_path=run.settings.replay_spec or run.settings.spec,
                            coverage_dir=run.coverage_acc)
        if result.get("outcome") != "harness_error" or len(causes) + 1 >= workers.ATTEMPTS:
            break
        # the harness failed (its QEMU killed or wedged), not the OS: once more
        causes.append(result.get("error") or result.get("why") or "harness error")
    result.update(build=run.fingerprint, attempts=len(causes) + 1, retry_causes=causes)
    run.journal.record(result)
    return result


def dead_worker_result(run: Run, exp_id: str, cause: str, causes: List[str]) -> Dict:
    """The record of an experiment whose every attempt killed its worker."""
    exp = run.campaign.get(exp_id)
    result = runner.harness_failure(exp, cause, campaign=run.campaign,
                                    spec_path=run.settings.replay_spec or run.settings.spec)
    result.update(build=run.fingerprint, attempts=len(causes) + 1, retry_causes=causes)
    run.journal.record(result)
    return result


def write_report(run: Run, coverage: Optional[Path] = None) -> str:
    """The campaign's report from its journal, by `python3 -m reports OUT
    JOURNAL --spec SPEC` (reports/__main__.py), the command anyone rebuilds
    a report with: reports/ depends on campaigns/ (the verdict, the spec,
    the journal), never the other way, and the engine's report and a
    rebuilt one are then made by the same code from the same journal.
    Returns index.html's path; a failed report is an error, with its
    stderr."""
    cmd = [sys.executable, "-m", "reports", str(run.out.resolve()),
           str(Path(run.journal.path).resolve()), "--spec", str(run.settings.spec_file)]
    if coverage is not None:
        cmd += ["--coverage", str(coverage)]
    if run.settings.baseline:
        cmd += ["--baseline", str(Path(run.settings.baseline).resolve())]
    # from the repository's root, where `reports` is importable; the
    # command's own line (N experiments, M failed) is the summary's to say
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"the report failed ({' '.join(cmd)}, exit {p.returncode}):\n"
                           f"{p.stderr.strip()}")
    return str(run.out / "index.html")


def finish(run: Run) -> Dict:
    """The report, from the journal: every verdict computed again from its
    recorded trace by the runner's own function (reclassify_journal, which
    the report command runs with --spec). Returns a summary, from the
    report's results.json: judging every trace here as well took make
    edfi's 2,000 experiments 2 s more for the same verdicts."""
    j = run.journal
    cov = None
    acc = run.coverage_acc
    if acc and Path(acc).exists():
        from faultinj import bootimage, coverage
        summary = coverage.lcov_report(Path(acc), run.out / "coverage", bootimage.BUILD)
        (run.out / "coverage" / "summary.json").write_text(json.dumps(summary, indent=1))
        # what the report shows of it: per component, and the pages' link
        cov = run.out / "coverage" / "report.json"
        cov.write_text(json.dumps(dict(summary["components"], html=summary["html"]), indent=1))
    report = write_report(run, cov)
    with open(run.out / "results.json", encoding="utf-8") as f:
        results = json.load(f)["results"]
    failed = [r["id"] for r in results if not r.get("ok")]
    return {"campaign": run.campaign.name, "recorded": len(results),
            "total": len(run.campaign.experiments), "failed": failed, "report": report,
            "bad_lines": [n for n, _ in j.bad_lines]}


def summary_text(s: Dict) -> str:
    msg = (f"campaign {s['campaign']}: {s['recorded']}/{s['total']} experiments recorded, "
           f"{len(s['failed'])} not as required\nreport: {s['report']}")
    if s["bad_lines"]:
        msg += "\nwarning: journal lines skipped (unreadable): " + ", ".join(map(str, s["bad_lines"]))
    return msg


def duration_text(seconds: float) -> str:
    """A time left as people read it: 5 h 19 min, 3 min 12 s, 45 s."""
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {sec:02d} s"
    return f"{sec} s"


class Progress:
    """One line per experiment: its place, id, verdict and host time, and
    the pace so far (experiments/min) with the time left at that pace."""

    def __init__(self, total: int, reused: int = 0, out=sys.stdout):
        self.total, self.done, self.ran, self.out = total, 0, 0, out
        self.t0 = time.monotonic()
        if reused:
            print(f"resuming: {reused} of {total} experiments reused from the journal",
                  file=out, flush=True)

    def line(self, r: Dict) -> str:
        self.done += 1
        if not r.get("reused"):
            self.ran += 1
        elapsed = time.monotonic() - self.t0
        rate = self.ran / elapsed * 60 if elapsed > 0 and self.ran else 0.0
        left = self.total - self.done
        eta = duration_text(left / rate * 60) if rate else "-"
        mark = "ok " if r.get("ok") else "BAD"
        host = ("reused" if r.get("reused") else "no run finished" if r.get("host_seconds") is None
                else f"{r['host_seconds']:.2f} s")
        return (f"[{self.done}/{self.total}] {mark} {r['id']}: {r.get('outcome')} ({host})"
                f"  {rate:.0f}/min, eta {eta}")

    def __call__(self, r: Dict) -> None:
        print(self.line(r), file=self.out, flush=True)


# worker processes keep their machine pool between experiments
_worker_run: Optional[Run] = None


def _worker_init(run: Run):
    global _worker_run
    from multiprocessing import util
    from faultinj import pool
    # a forked worker inherits its parent's pooled machines (a process that
    # ran experiments itself first): they are the parent's, not to be used
    # or closed here
    pool.forget_all()
    # and its view of the campaign, without its lock: the same spec,
    # experiments, fingerprint and finished results, not read and hashed
    # again (~20 ms of each worker's start)
    _worker_run = replace(run, lock=None)
    # workers leave through multiprocessing's exit path, not atexit: their
    # machines are closed there
    util.Finalize(None, pool.close_all, exitpriority=10)


def _worker_one(exp_id: str, causes: List[str]) -> Dict:
    return run_one(_worker_run, _worker_run.campaign.get(exp_id), causes)


def _grouper(run: Run) -> Callable[[str], object]:
    """The machine each experiment runs on (runner.machine_group), for
    workers.run to keep experiments on the worker that has it."""
    seen: Dict[str, object] = {}

    def group(exp_id: str) -> object:
        if exp_id not in seen:
            try:
                seen[exp_id] = runner.machine_group(run.campaign.get(exp_id), run.campaign)
            except Exception as e:       # the worker's run records the problem
                seen[exp_id] = ("unplanned", str(e))
        return seen[exp_id]
    return group


def _sigterm_exits(signum, frame):
    # a terminated campaign unwinds like Ctrl-C: its workers are ended and
    # their machines closed (workers.run's finally), its lock released
    raise SystemExit(128 + signum)


def run_campaign(settings: Settings, jobs: int = 1,
                 progress: Optional[Callable[[Dict], None]] = None) -> Dict:
    """The whole campaign: prepare, run every experiment in `jobs` worker
    processes (each with its own machines; campaigns/workers.py retries an
    experiment whose worker died, once), finish. A campaign interrupted
    here keeps every experiment that finished (the journal) and resumes."""
    run = prepare(settings)
    try:
        done = finished(run)
        reused = sum(1 for e in run.experiments if e.id in done and not done[e.id].get("error")
                     and done[e.id].get("outcome") != "harness_error")
        show = progress or Progress(len(run.experiments), 0 if settings.only else reused)
        ids = [e.id for e in run.experiments]
        old = None
        if threading.current_thread() is threading.main_thread():
            old = signal.signal(signal.SIGTERM, _sigterm_exits)
        try:
            if jobs <= 1:
                for i in ids:
                    show(run_one(run, run.campaign.get(i)))
            else:
                workers.run(ids, jobs, init=lambda: _worker_init(run), one=_worker_one,
                            on_result=show, group=_grouper(run),
                            on_death=lambda i, cause, causes: dead_worker_result(run, i, cause,
                                                                                 causes),
                            close_fds=[run.lock.fd],
                            say=lambda text: print(text, file=sys.stderr, flush=True))
        finally:
            if old is not None:
                signal.signal(signal.SIGTERM, old)
        return finish(run)
    finally:
        run.lock.release()
