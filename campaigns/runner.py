"""Run one fault experiment and classify what happened.

An experiment: boot the OS with the GDB stub attached and a workload that
INIT starts at boot (no console input, so the run is deterministic), arm
the fault at the kernel's boot hook, or after boot for experiments that
need the console (`service up`, `service update`), run until the outcome
is known, and classify it:

  recovered      the service came back (or never went away), the workload
                 finished with no wrong or lost answers, and an update
                 did what the protocol says (done, or aborted on timeout)
  torn_down      a dynamic service whose init failed is down, not restarted
  halted         RS panicked and the machine halted (boot init failure)
  not_activated  the armed fault never fired
  failed         anything else: unexpected panic, hang, lost or wrong answers

Timings are taken from the event lines: virtual microseconds (the `t=`
field) and host seconds (when the line reached the host), from the fault
firing to RS noticing (detect) and to the service serving again (recover).
"""

import os
import time
from pathlib import Path
from typing import Dict, List, Optional

from faultinj import bootimage
from faultinj.events import Event
from faultinj.exitcodes import HOST_PANIC
from faultinj.session import Session

from .spec import Campaign, Experiment

# The site a fault is armed at when the spec names none. Heartbeat sites
# (sef.ping) are reached by every SEF service, request sites only by the
# servers the workload uses.
REQUEST_SITE = {"kv": "kv.put", "echo": "echo.echo", "ds": "ds.request"}
FAULT_SITE = {"stale_ping": "sef.ping", "drop": "sef.pong", "init_fail": "sef.init",
              "lu_timeout": "sef.lu.prepare"}
ERROR_SITE = {"kv": "kv.put.err"}                    # else the kernel's IPC path
LATE_FIRE_S = 10.0       # host seconds to wait for a fault that fires after the workload
FAULT_TYPE = {"error": "error", "lu_ok": None}       # spec name -> table name
DETECT = ("died", "ping_missed", "init_timeout", "update_aborted", "down")
WORKLOAD_SIZE = 150


def site_for(exp: Experiment) -> Optional[str]:
    if exp.fault == "lu_ok":
        return None
    if exp.site:
        return exp.site
    if exp.fault in FAULT_SITE:
        return FAULT_SITE[exp.fault]
    if exp.fault == "error":
        return ERROR_SITE.get(exp.service, "kernel.ipc.send")
    return REQUEST_SITE.get(exp.service, "sef.ping")


def workload_for(exp: Experiment) -> str:
    if exp.workload:
        return exp.workload.replace(":", " ")
    target = "echo" if exp.service == "echo" else "kv"
    return f"wl {target} {WORKLOAD_SIZE}"


def arm_spec(exp: Experiment, campaign: Optional[Campaign]) -> Dict:
    kw = dict(site=site_for(exp), fault=FAULT_TYPE.get(exp.fault, exp.fault), proc=exp.service)
    t = exp.trigger
    if t.kind == "nth":
        kw.update(trigger="nth", n=int(t.value))
    elif t.kind == "times":
        kw.update(trigger="times", k=int(t.value))
    else:
        kw.update(trigger="prob", prob=int(round(t.value * 1_000_000)), k=1_000_000,
                  seed=campaign.seed_for(exp) if campaign else (exp.seed or 1))
    if exp.arg is not None:
        kw["arg"] = exp.arg
    if exp.fault == "lu_timeout":
        kw.update(trigger="times", k=1_000_000)       # never ready, however often asked
    return kw


def replay_command(exp: Experiment, spec_path: str) -> str:
    return f"make campaign SPEC={spec_path} ONLY='{exp.id}'"


def _first(events: List[Event], kinds, since: int = 0, **fields) -> Optional[Event]:
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    for e in events[since:]:
        if e.kind in kinds and all(e.get(k) == str(v) for k, v in fields.items()):
            return e
    return None


class Outcome(Exception):
    """Raised inside the run to stop with a classification."""

    def __init__(self, outcome: str, why: str = ""):
        super().__init__(why)
        self.outcome = outcome
        self.why = why


def _needs_console(exp: Experiment) -> bool:
    return exp.fault in ("lu_ok", "lu_timeout") or (exp.fault == "init_fail" and exp.mode == "dynamic")


def collect_coverage(sess, acc: Path, deadline: float) -> Dict:
    """Ask every binary of a still-running system for its counters (the
    shell's `gcov`) and add them to the campaign's total."""
    if sess.q.proc is None or sess.q.proc.poll() is not None:
        return {"coverage": "machine halted: no dump"}
    con = sess.console
    mark = con.mark()
    try:
        con.run("gcov", timeout=max(1.0, min(30.0, deadline - time.monotonic())))
        req = con.wait_event("gcov_request", timeout=10, since=mark)
        want = req.int("services") + 2            # + kernel + rs
        sess.q.serial.wait_for(lambda e: len(con.events("gcov_done", since=mark)) >= want, 20,
                               since=mark)
    except (TimeoutError, AssertionError) as e:
        return {"coverage": f"dump incomplete: {str(e).splitlines()[0]}"}
    from faultinj import coverage
    files, problems = coverage.add_run(sess.q.serial.text, acc)
    return {"coverage": f"{files} files" + (f", problems: {problems}" if problems else "")}


def run(exp: Experiment, *, campaign: Optional[Campaign] = None, spec_path: str = "",
        timeout: Optional[float] = None, coverage_dir: Optional[str] = None) -> Dict:
    limit = timeout or (campaign.timeout_for(exp, 60.0) if campaign else 60.0)
    result = exp.as_dict()
    result.update(outcome=None, ok=False, error=None, detect_virtual_us=None,
                  recover_virtual_us=None, detect_host_s=None, recover_host_s=None,
                  host_seconds=None, events=[], replay=replay_command(exp, spec_path))
    t0 = time.monotonic()
    deadline = t0 + limit
    boot_arm = [] if _needs_console(exp) or exp.fault == "lu_ok" else [arm_spec(exp, campaign)]
    mods = bootimage.system(init=workload_for(exp))
    sess = None
    try:
        sess = Session(mods, timeout=limit + 10, arm_at_boot=boot_arm, wait_ready=False)
        outcome, why = _drive(sess, exp, campaign, deadline)
        result["outcome"], result["why"] = outcome, why
    except Outcome as o:
        result["outcome"], result["why"] = o.outcome, o.why
    except Exception as e:          # a harness problem: recorded, the campaign goes on
        result["outcome"] = "failed"
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        if sess is not None and coverage_dir:
            try:
                result.update(collect_coverage(sess, Path(coverage_dir), deadline + 30))
            except Exception as e:
                result["coverage"] = f"failed: {e}"
        if sess is not None:
            events = list(sess.events)
            result["events"] = [e.raw for e in events]
            _timings(result, events, exp)
            sess.close()
    result["host_seconds"] = round(time.monotonic() - t0, 3)
    result["ok"] = result["outcome"] == exp.expect and not result["error"]
    return result


def _wait(sess, pred, deadline, what):
    left = deadline - time.monotonic()
    if left <= 0:
        raise Outcome("failed", f"time limit reached waiting for {what}")
    try:
        return sess.q.serial.wait_for(pred, left)
    except TimeoutError:
        r = sess.q.result
        if r is None and sess.q.proc is not None and sess.q.proc.poll() is not None:
            r = sess.q.wait(1)
        if r is not None and r.exit_status == HOST_PANIC:
            raise Outcome(*_panic_kind(sess))
        raise Outcome("failed", f"no {what} within the time limit")


def _panic_kind(sess):
    rs_panic = _first(sess.events, "panic", who="rs")
    if rs_panic:
        return "halted", f"RS panic: {rs_panic.get('reason')} ({rs_panic.get('proc')})"
    return "failed", "kernel panic"


def _drive(sess, exp: Experiment, campaign, deadline):
    svc = exp.service
    con = sess.console
    ev_kind = lambda kind, **f: (lambda e: e.kind == kind and all(e.get(k) == str(v) for k, v in f.items()))
    # boot: a boot-time init failure halts the machine here
    _wait(sess, lambda e: e.kind in ("ready", "panic"), deadline, "boot")
    if _first(sess.events, "panic"):
        sess.q.wait(max(1, deadline - time.monotonic()))
        return _panic_kind(sess)
    if exp.fault == "init_fail" and exp.mode == "dynamic":
        con.run(f"service down {svc}", timeout=max(1, deadline - time.monotonic()))
        mark = con.mark()
        sess.arm(**arm_spec(exp, campaign))
        con.run(f"service up {svc}", expect=None, timeout=max(1, deadline - time.monotonic()))
        if not _first(sess.events, "fi_fired", since=mark):
            return "not_activated", "init hook never fired"
        down = _first(sess.events, "down", since=mark, label=svc)
        if down and down.get("why") == "init-failed" and not _first(sess.events, "restarted", since=mark, label=svc):
            return "torn_down", "init failed: service down, not restarted"
        return "failed", "dynamic service with failed init was not torn down"
    if exp.fault in ("lu_ok", "lu_timeout"):
        _wait(sess, ev_kind("wl_start"), deadline, "workload start")
        if exp.fault == "lu_timeout":
            sess.arm(**arm_spec(exp, campaign))
        mark = con.mark()
        r = con.run(f"service update {svc} -state 1 -maxtime 30", expect=None,
                    timeout=max(1, deadline - time.monotonic()))
        # the shell that asks for its own update is answered at once: the
        # outcome comes later, as an event
        _wait(sess, lambda e: e.kind in ("update_done", "update_aborted", "update_failed")
              and e.get("label") == svc and sess.events.index(e) >= mark, deadline, "update outcome")
        done = _wait(sess, ev_kind("wl_done"), deadline, "workload end")
        bad = _workload_bad(done)
        if exp.fault == "lu_timeout":
            if not _first(sess.events, "fi_fired", since=mark):
                return "not_activated", "prepare hook never fired"
            ab = _first(sess.events, "update_aborted", since=mark, label=svc)
            if ab and not _first(sess.events, "update_done", since=mark) and not bad:
                return "recovered", "update aborted, old version kept serving"
            return "failed", bad or f"update not aborted (result {r.get('result')})"
        if _first(sess.events, "update_done", since=mark, label=svc) and not bad:
            return "recovered", "update done, state carried over"
        return "failed", bad or f"update did not complete (result {r.get('result')})"
    # process-level faults armed at boot; the workload runs from INIT
    done = _wait(sess, lambda e: e.kind in ("wl_done", "given_up"), deadline, "workload end")
    if done.kind == "given_up":
        return "failed", f"RS gave up on {done.get('label')}"
    bad = _workload_bad(done)
    if bad:
        return "failed", bad
    fired = _first(sess.events, "fi_fired")
    if not fired:
        # heartbeat sites are reached by RS's next ping, not by the workload
        try:
            fired = sess.q.serial.wait_kind("fi_fired", min(LATE_FIRE_S, max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            return "not_activated", "the armed fault never fired"
    start = sess.events.index(fired)
    det = _first(sess.events, DETECT, since=start, label=svc)
    if det is None:
        # give RS a chance to notice (hang, stale ping) before judging
        try:
            det = sess.q.serial.wait_for(lambda e: e.kind in DETECT and e.get("label") == svc,
                                         min(2.0, max(0.1, deadline - time.monotonic())), since=start)
        except TimeoutError:
            det = None
    if det:
        back = _wait(sess, lambda e: (e.kind == "init_result" and e.get("label") == svc
                                      and e.get("result") == "0") or e.kind == "given_up"
                     or (e.kind == "panic"), deadline, f"{svc} back in service")
        if back.kind != "init_result" or sess.events.index(back) < start:
            back = _wait(sess, lambda e: sess.events.index(e) > start and (
                (e.kind == "init_result" and e.get("label") == svc and e.get("result") == "0")
                or e.kind in ("given_up", "panic")), deadline, f"{svc} back in service")
        if back.kind == "given_up":
            return "failed", f"RS gave up on {svc}"
        if back.kind == "panic":
            return _panic_kind(sess) if _first(sess.events, "panic", who="rs") else ("failed", "panic")
    # the system must serve again after the fault: a second workload
    mark = con.mark()
    target = "echo" if svc == "echo" else "kv"
    con.run(f"run wl {target} 30", timeout=max(1, deadline - time.monotonic()))
    after = _wait(sess, lambda e: e.kind == "wl_done" and sess.events.index(e) >= mark,
                  deadline, "workload after recovery")
    bad = _workload_bad(after)
    if bad or after.int("answered") != 30:
        return "failed", bad or "workload after recovery incomplete"
    if det:
        return "recovered", f"{det.kind}, back in service, workload served"
    return "recovered", "fault absorbed, workload served"


def _workload_bad(done: Event) -> Optional[str]:
    if done.int("wrong"):
        return f"workload got {done.int('wrong')} wrong answers"
    if done.int("lost"):
        return f"workload lost {done.int('lost')} requests"
    return None


def _timings(result: Dict, events: List[Event], exp: Experiment):
    fired = _first(events, "fi_fired")
    if not fired:
        return
    start = events.index(fired)
    det = _first(events, DETECT, since=start, label=exp.service)
    if det is None:
        return
    result["detect_virtual_us"] = det.t - fired.t
    if det.host_t and fired.host_t:
        result["detect_host_s"] = round(det.host_t - fired.host_t, 4)
    back = None
    for e in events[events.index(det):]:
        if e.get("label") == exp.service and (
                (e.kind == "init_result" and e.get("result") == "0") or e.kind == "down"
                or e.kind == "update_aborted"):
            back = e
            break
    if back is not None:
        result["recover_virtual_us"] = back.t - fired.t
        if back.host_t and fired.host_t:
            result["recover_host_s"] = round(back.host_t - fired.host_t, 4)
