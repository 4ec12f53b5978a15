"""Run one fault experiment: produce its trace, then ask the verdict.

The experiment is planned before QEMU starts (campaigns/scenario.py). The
machine boots to the kernel's plan point (os/kernel/plan.c), a stop the
guest defines, where the host writes the scenario steps, the virtual-time
limit and the faults; from then on the host only waits for the guest to
end the run (the scenario halts the machine when it is done, or the
kernel's watchdog stops it at the limit). Nothing the host does depends on
when a line arrives, so the trace is the same on every run.

Machines are reused: each worker keeps one booted machine per boot
configuration, saved at the plan point, and restores it for the next
experiment (faultinj/pool.py), which gives the same trace as a fresh boot.
Faults that must fire while the system boots, and coverage runs, get a
machine of their own.

The host's wall-clock limit only catches a harness fault (QEMU wedged, a
machine far too slow); it is reported as harness_error, never as the
system's failure. The verdict and timings come from campaigns.verdict.
"""

import os
import socket
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from faultinj import autosites, bootimage

from . import result as result_format
from . import scenario
from .spec import Campaign, Experiment
from .verdict import Trace, classify

HOST_LIMIT_S = 120.0          # wall clock, harness faults only
# CAMPAIGN_REUSE=0: a fresh QEMU and boot for every experiment
REUSE = os.environ.get("CAMPAIGN_REUSE", "1") != "0"
FORGED_KEPT = 20              # lookalike lines of user output kept in a result


def replay_command(exp: Experiment, spec_path: str) -> str:
    return f"make campaign SPEC={spec_path} ONLY='{exp.id}'"


def modules_for(plan: scenario.Plan):
    rs = f"period={plan.boot_period}"
    if plan.policy:
        rs += f" policy={plan.policy[0]}:{plan.policy[1]}"   # RS runs it with that policy
    mods = bootimage.system(rs=rs)
    return mods + [("scenario", "plan")]       # the steps come at the plan point


def boot_config(plan: scenario.Plan):
    """How the machine of this plan boots: (modules, kernel command line,
    faults armed at the boot hook, faults armed at the plan point). The
    campaign and a replay under gdb (campaigns/replay.py) both use it."""
    boot_arm = [a for a in plan.arm if scenario.at_boot_hook(a)]
    plan_arm = [a for a in plan.arm if not scenario.at_boot_hook(a)]
    # a boot fault may stop the system before the plan point: bound the
    # boot in virtual time too
    append = [f"deadline={plan.deadline_ms}"] if boot_arm else []
    # counters saved by the kernel when each instance goes, and at the end
    if plan.coverage:
        append.append("gcov=ends")
    append = " ".join(append)
    return modules_for(plan), append, boot_arm, plan_arm


def machine_group(exp: Experiment, campaign: Optional[Campaign] = None) -> Tuple:
    """Which pooled machine a run of exp uses (faultinj/pool.py keeps one
    per boot configuration, at the plan point or at the boot hook):
    experiments of one group share a machine, and campaigns/workers.py
    gives them to the worker that has booted it."""
    mods, append, boot_arm, _ = boot_config(scenario.plan(exp, campaign))
    return (repr(mods), append, "boot_hook") if boot_arm else (repr(mods), "plan")


def _coverage(serial_text: str, events, acc: Path) -> Dict:
    """Add the run's counters to acc: the kernel dumped each image's when
    it went and every live one's at the machine's end (os/kernel/gcov.c)."""
    from faultinj import coverage
    dumps = [e.get("bin") for e in events if e.kind == "gcov_done"]
    lost = [f"{e.get('bin')} ({e.get('why')})" for e in events if e.kind == "gcov_lost"]
    if "kernel" not in dumps:
        return {"coverage": "no dump: the machine stopped without its final dump"}
    files, problems = coverage.add_run(serial_text, acc)
    note = f"{files} files from {len(dumps)} dumps ({' '.join(dumps)})"
    if lost:
        note += f", lost: {', '.join(lost)}"
    if problems:
        note += f", problems: {problems}"
    return {"coverage": note}


def site_info(exp: Experiment) -> Dict:
    """Where an automatic site is in the source (the report groups failures
    by the site's function); hand sites are named for what they are."""
    if not autosites.is_name(exp.site):
        return {"site_function": None, "site_location": None, "site_address": None}
    path = bootimage.program_path(exp.service)
    try:
        s = autosites.site_at(path, autosites.resolve(path, exp.site).addr, str(bootimage.ROOT))
    except (ValueError, OSError):
        s = None
    if s is None:
        return {"site_function": None, "site_location": None, "site_address": None}
    return {"site_function": s.function, "site_location": f"{s.file}:{s.line}",
            "site_address": s.marker}


def run(exp: Experiment, *, campaign: Optional[Campaign] = None, spec_path: str = "",
        host_limit: float = HOST_LIMIT_S, coverage_dir: Optional[str] = None,
        reuse: Optional[bool] = None) -> Dict:
    """Run exp once; the result dict goes to the journal as it is."""
    plan = scenario.plan(exp, campaign, coverage=bool(coverage_dir))
    result = exp.as_dict()
    result.update(replay=replay_command(exp, spec_path), scenario=plan.scenario_args,
                  armed_slots=plan.arm, period=plan.period, deadline_ms=plan.deadline_ms,
                  host=socket.gethostname(), coverage=None, **site_info(exp))
    # the machines, imported here: the report judges journals with this
    # module and has no use for QEMU's or the GDB stub's modules
    from faultinj import pool
    from faultinj.planned import PlannedMachine
    mods, append, boot_arm, plan_arm = boot_config(plan)
    # a machine kept for more runs: at the plan point, or at the boot hook
    # when the boot is part of the experiment (faultinj/bootsaved.py)
    pooled = (REUSE if reuse is None else reuse) and not coverage_dir
    at = "boot_hook" if boot_arm else "plan"
    t0 = time.monotonic()
    phases = {"start": None, "restore": None, "arm": None, "run": None, "verdict": None}
    m = None
    harness_error, end, events, run_t0, forged, malformed = None, None, [], t0, [], []
    notes = []
    try:
        left = lambda: max(1.0, host_limit - (time.monotonic() - t0))    # noqa: E731
        if pooled and boot_arm:
            m = pool.boot_machine(mods, append, host_limit)
            r = m.run(boot_arm, plan.scenario_args, plan.deadline_ms, plan_arm, limit=left())
        else:
            if pooled:
                m = pool.machine(mods, "", host_limit)
            else:
                m = PlannedMachine(mods, append=append, boot_arm=boot_arm, limit=host_limit)
            r = m.run(plan.scenario_args, plan.deadline_ms, plan_arm, limit=left())
        phases.update(r.timing)
        end, harness_error, events, forged = r.end, r.error, r.events, r.forged
        malformed, notes = r.malformed, r.notes
        result["restored"] = r.restored
    except Exception as e:        # a harness problem: recorded, the campaign goes on
        harness_error = f"{type(e).__name__}: {e}"
    t_v = time.monotonic()
    try:
        verdict = classify(exp, Trace(events, end=end, harness_error=harness_error,
                                      armed=bool(plan.arm), malformed=malformed,
                                      steps=list(plan.steps)))
    except Exception as e:    # a bug of the verdict's: the campaign goes on, the trace is kept
        verdict = classify(exp, Trace([], end=end, armed=bool(plan.arm),
                                      harness_error=f"verdict failed: {type(e).__name__}: {e}"))
    phases["verdict"] = time.monotonic() - t_v
    if m is not None:
        if coverage_dir and end in ("halt", "panic", "deadline"):
            try:
                result.update(_coverage(m.serial_text, events, Path(coverage_dir)))
            except Exception as e:
                result["coverage"] = f"failed: {e}"
        elif coverage_dir:
            # a reset or a harness fault: the kernel never reached its dump
            result["coverage"] = f"no dump: the run ended {end or harness_error}"
        if pooled:
            pool.release(mods, append if boot_arm else "", m, at)
        else:
            m.close()
    result.update(verdict.as_dict())
    result.update(
        events=[e.raw for e in events],
        # arrival times of this run's lines; a restored run's boot prefix
        # was printed before it began and has none
        event_host_t=[round(e.host_t - t0, 4) if e.host_t and e.host_t >= t0 else None
                      for e in events],
        end=end, error=harness_error,
        # user output that looked like an event or a panic: not in events
        forged=len(forged), forged_lines=forged[:FORGED_KEPT],
        malformed=malformed[:FORGED_KEPT], stream_notes=notes,
        host_seconds=round(time.monotonic() - t0, 3),
        phases={k: (round(v, 4) if v is not None else None) for k, v in phases.items()},
        virtual_us=events[-1].t if events and events[-1].t is not None else None)
    result_format.judge(result)              # the one pass/fail decision
    return result


def harness_failure(exp: Experiment, error: str, *, campaign: Optional[Campaign] = None,
                    spec_path: str = "", host: Optional[str] = None) -> Dict:
    """The record of an experiment no run could finish (its worker process
    died every time it was given it): no trace, the cause as the harness
    error, outcome harness_error by the verdict's own rule."""
    plan = scenario.plan(exp, campaign)
    result = exp.as_dict()
    result.update(replay=replay_command(exp, spec_path), scenario=plan.scenario_args,
                  armed_slots=plan.arm, period=plan.period, deadline_ms=plan.deadline_ms,
                  host=host or socket.gethostname(), coverage=None, **site_info(exp))
    verdict = classify(exp, Trace([], end=None, harness_error=error, armed=bool(plan.arm),
                                  steps=list(plan.steps)))
    result.update(verdict.as_dict())
    result.update(events=[], event_host_t=[], end=None, error=error, forged=0, forged_lines=[],
                  malformed=[], stream_notes=[], host_seconds=None, restored=None,
                  phases={k: None for k in ("start", "restore", "arm", "run", "verdict")},
                  virtual_us=None)
    result_format.judge(result)
    return result


def trace_of(result: Dict) -> Trace:
    """The trace a journal record holds, for classify() again (the report)."""
    t0 = 0.0
    return Trace.from_lines(result.get("events", []),
                            [t0 + h if h is not None else None
                             for h in result.get("event_host_t", [])],
                            end=result.get("end"), harness_error=result.get("error"),
                            armed=bool(result.get("armed_slots")),
                            malformed=list(result.get("malformed") or []),
                            steps=(str(result["scenario"]).split()
                                   if result.get("scenario") else None))


def reclassify(exp: Experiment, result: Dict) -> Dict:
    """A journal record with its verdict computed again from its trace."""
    v = classify(exp, trace_of(result))
    out = dict(result)
    host = {k: result.get(k) for k in ("detect_host_s", "recover_host_s")}
    out.update(v.as_dict())
    # host timings need the arrival times, which the record keeps relative
    for k, val in host.items():
        if out.get(k) is None:
            out[k] = val
    result_format.judge(out)
    return out


def reclassify_journal(records: Iterable[Dict], campaign: Campaign) -> List[Dict]:
    """The journal's records of the campaign's experiments, in the spec's
    order, each judged again from its trace (reclassify): what a report is
    made of. The engine's report and one rebuilt by hand from the journal
    (python3 -m reports --spec) both come from here, so they are the same."""
    by_id = {r.get("id"): r for r in records}
    return [reclassify(e, by_id[e.id]) for e in campaign.experiments if e.id in by_id]
