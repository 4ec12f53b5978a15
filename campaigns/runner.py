"""Run one fault experiment: produce its trace, then ask the verdict.

The experiment is planned before QEMU starts (campaigns/scenario.py): the
scenario steps go to the guest's scenario driver as boot arguments, the
faults are written into the fault table at the kernel's boot hook, and the
kernel is given the virtual-time limit. From then on the host only waits
for QEMU to exit: the guest halts itself when its scenario is done, or the
kernel's watchdog ends it at the limit. Nothing the host does depends on
when a line arrives, so the trace is the same on every run.

The host's wall-clock limit only catches a harness fault (QEMU wedged, a
machine far too slow); it is reported as harness_error, never as the
system's failure. The verdict and timings come from campaigns.verdict.
"""

import time
from pathlib import Path
from typing import Dict, Optional

from faultinj import bootimage
from faultinj.session import Session

from . import scenario
from .spec import Campaign, Experiment
from .verdict import Trace, classify

HOST_LIMIT_S = 120.0          # wall clock, harness faults only


def replay_command(exp: Experiment, spec_path: str) -> str:
    return f"make campaign SPEC={spec_path} ONLY='{exp.id}'"


def modules_for(plan: scenario.Plan):
    mods = bootimage.system(rs=f"period={plan.period}")
    return mods + [("scenario", plan.scenario_args)]


def _coverage(serial_text: str, events, acc: Path) -> Dict:
    from faultinj import coverage
    req = [e for e in events if e.kind == "gcov_request"]
    if not req:
        return {"coverage": "no dump: the machine stopped before the gcov step"}
    want = req[-1].int("services") + 2                 # + kernel + rs
    got = sum(1 for e in events if e.kind == "gcov_done")
    files, problems = coverage.add_run(serial_text, acc)
    note = f"{files} files"
    if got < want:
        note += f", {want - got} of {want} dumps missing"
    if problems:
        note += f", problems: {problems}"
    return {"coverage": note}


def run(exp: Experiment, *, campaign: Optional[Campaign] = None, spec_path: str = "",
        host_limit: float = HOST_LIMIT_S, coverage_dir: Optional[str] = None) -> Dict:
    """Run exp once; the result dict goes to the journal as it is."""
    plan = scenario.plan(exp, campaign, coverage=bool(coverage_dir))
    result = exp.as_dict()
    result.update(replay=replay_command(exp, spec_path), scenario=plan.scenario_args,
                  armed_slots=plan.arm, period=plan.period, deadline_ms=plan.deadline_ms)
    t0 = time.monotonic()
    phases = {"start": None, "arm": None, "run": None, "verdict": None}
    sess = None
    harness_error = None
    end = None
    try:
        sess = Session(modules_for(plan), timeout=host_limit, arm_at_boot=plan.arm,
                       wait_ready=False, append=f"deadline={plan.deadline_ms}")
        phases.update(sess.timing)
        t_run = time.monotonic()
        r = sess.q.wait(max(1.0, host_limit - (t_run - t0)))
        phases["run"] = time.monotonic() - t_run
        end = r.outcome
        if r.timed_out:
            harness_error = (f"host limit of {host_limit:.0f} s passed before the guest ended "
                             f"(virtual limit {plan.deadline_ms} ms): harness fault")
    except Exception as e:        # a harness problem: recorded, the campaign goes on
        harness_error = f"{type(e).__name__}: {e}"
    events = list(sess.events) if sess is not None else []
    t_v = time.monotonic()
    verdict = classify(exp, Trace(events, end=end, harness_error=harness_error,
                                  armed=bool(plan.arm)))
    phases["verdict"] = time.monotonic() - t_v
    if sess is not None:
        if coverage_dir and end in ("halt", "panic", "deadline"):
            try:
                result.update(_coverage(sess.q.serial.text, events, Path(coverage_dir)))
            except Exception as e:
                result["coverage"] = f"failed: {e}"
        sess.close()
    result.update(verdict.as_dict())
    result.update(
        events=[e.raw for e in events],
        event_host_t=[round(e.host_t - t0, 4) if e.host_t else None for e in events],
        end=end, error=harness_error,
        host_seconds=round(time.monotonic() - t0, 3),
        phases={k: (round(v, 4) if v is not None else None) for k, v in phases.items()},
        virtual_us=events[-1].t if events and events[-1].t is not None else None)
    result["ok"] = result["outcome"] in exp.expects
    return result


def trace_of(result: Dict) -> Trace:
    """The trace a journal record holds, for classify() again (the report)."""
    t0 = 0.0
    return Trace.from_lines(result.get("events", []),
                            [t0 + h if h is not None else None
                             for h in result.get("event_host_t", [])],
                            end=result.get("end"), harness_error=result.get("error"),
                            armed=bool(result.get("armed_slots")))


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
    out["ok"] = out["outcome"] in exp.expects
    return out
