"""The evidence a verdict rests on, read from a trace: which event is the
fault firing, RS's detection, the restart, the service serving again, the
first event that left the normal recovery path, and the marks a timeline
draws. campaigns/verdict.py computes it once per experiment and returns
it with the outcome; the report (reports/) renders it and never reads a
trace itself, so a timeline and a recovery time can never disagree with
the verdict they illustrate.

A mark is a plain dict (it goes to the journal as it is):
  {"lane", "t" (virtual µs), "dt" (µs since the origin), "label", "bad",
   "event" (the line, without the serial frame)}
"""

from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from faultinj.events import Event, parse_recorded

# RS noticing something wrong with a service
DETECT = ("died", "ping_missed", "init_timeout", "update_aborted", "update_failed", "down",
          "killed")

# the lanes of a timeline, top to bottom
LANES = ("fault", "detected", "restarted", "serving", "client")

# Event kinds of a normal recovery and of bookkeeping: what a trace shows
# after a fault fires when the service crashes (or stops answering), RS
# notices, restarts it, the service restores its state and the clients
# retry and are answered.  The first event after the fault that is not one
# of these (or is one of these saying something went wrong, see abnormal)
# is where the run left the recovery path: the failure's "first divergence".
NORMAL_KINDS = frozenset({
    # the fault machinery and the run's frame
    "fi_fired", "fi_effect", "fi_step", "fi_arm", "fi_disarm", "plan", "plan_point",
    "deadline", "deadline_set", "shutdown", "off", "ready", "mem_ready", "vm_info",
    # a fail-stop fault manifesting, which recovery exists to handle
    "fault", "signal", "ksig", "exit", "exit_request", "proc_exit", "reaped", "init_reaped",
    # RS detecting and restarting (a service, or RS itself in place)
    "died", "killed", "ping_late", "ping_missed", "restart_scheduled", "restarted",
    "restart_fresh", "deescalate", "dep_restart", "rs_died", "rs_restarted",
    "rs_recovered", "policy_set", "service", "service_up", "service_pid",
    # a process being made again
    "fork", "exec", "exec_keep", "spawn", "prestart", "start", "priv_set", "priv_allow",
    "vm_mask", "vm_mask_set", "vm_masks", "proc",
    # the restarted service initialising and getting its state back
    "init_start", "init_pub", "init_result", "sef_init", "kv_restored", "echo_restored",
    "pm_restored", "pm_services", "ds_rebuilt", "ds_publish", "ds_cleaned", "ds_delete",
    "echo_saw_change", "kv_state_transfer", "lu_state_dump",
    # live update, which an aborted update ends as designed
    "update_requested", "update_prepared", "update_done", "update_aborted", "sef_lu_ready",
    # the workload and the scenario: a client retrying through a restart is normal
    "sc_start", "sc_step", "sc_done", "sc_service", "sc_verify", "sc_probe", "sc_gcov",
    "wl_start", "wl_done", "wl_rebind", "gcov_request", "gcov_done",
})

# what a client's report counts that is a failure
CLIENT_BAD = ("wrong", "stale", "gone", "lost")


def abnormal(e: Event) -> Optional[str]:
    """What a normal-kind event says went wrong, or None: a failed init or
    restart, a client's lost, wrong, stale or gone answers, a probe that
    found a service down, its state lost or its answers wrong."""
    if e.kind in ("init_result", "sef_init", "restarted", "sc_service") \
            and e.get("result", "0") != "0":
        return "failed"
    if e.kind in ("wl_done", "sc_verify"):
        for k in CLIENT_BAD:
            if e.get(k, "0") not in ("0", ""):
                return k
    if e.kind == "sc_probe":
        if e.get("state", "ok") != "ok":
            return e.get("state")
        if e.get("wrong", "0") not in ("0", ""):
            return "wrong"
    return None


def first_divergence(events: Sequence[Event], start: int,
                     normal=NORMAL_KINDS) -> Tuple[str, Optional[Event]]:
    """(label, event) of the first event after index start that is not
    normal: its kind is not in `normal`, or it is but says something failed
    (then the label is kind:what, e.g. init_result:failed, wl_done:gone).
    ("none", None) when every event looks normal: the failure shows only in
    what the verdict adds up."""
    for e in events[start + 1:]:
        if e.kind not in normal:
            return e.kind, e
        what = abnormal(e)
        if what:
            return f"{e.kind}:{what}", e
    return "none", None


def reference_kinds(reference: Iterable[Union[str, Event]]) -> frozenset:
    """A normal set taken from a reference trace (event lines as records
    keep them, or Events), e.g. a run of the same experiment that recovered:
    the kinds it shows. Passed as `normal` to first_divergence, a failing
    run then diverges at its first event of a kind the reference never
    showed, which is sharper than NORMAL_KINDS for one experiment."""
    kinds = set()
    for x in reference:
        e = x if isinstance(x, Event) else parse_recorded(str(x))
        if e is not None:
            kinds.add(e.kind)
    return frozenset(kinds)


def _side_marks(e: Event, svc: str) -> List[Tuple[str, str, bool]]:
    """[(lane, label, bad)] of an event worth marking that is not one of the
    verdict's own choices (those are marked by `marks` itself)."""
    k, label = e.kind, e.get("label")
    if k == "fi_fired":
        return [("fault", f"{e.get('type', 'fault')} fired at {e.get('site', '?')}", False)]
    if k == "fi_effect":
        return [("fault", f"effect: {e.get('what', '?')}", False)]
    if k == "update_requested" and label == svc:
        return [("fault", "update requested", False)]
    if k == "panic":
        return [("detected", f"{e.get('who', '?')} panic: {e.get('reason', '?')}", True)]
    if k == "restarted" and label == svc:
        failed = e.get("result", "0") != "0"
        return [("restarted", f"restarted ({e.get('policy', '?')})", failed)]
    if k == "rs_restarted":
        return [("restarted", "RS restarted in place", False)]
    if k == "restart_fresh" and label == svc:
        return [("restarted", "fresh restart", False)]
    if k == "escalate" and label == svc:
        return [("restarted", f"escalate to {e.get('to', '?')}", True)]
    if k == "given_up" and label == svc:
        return [("restarted", "given up", True)]
    if k == "init_result" and label == svc and e.get("result") != "0":
        return [("serving", f"init failed ({e.get('result')})", True)]
    if k == "wl_rebind":
        return [("client", "rebind", False)]
    if k in ("wl_wrong", "wl_stale", "wl_gone"):
        return [("client", f"{k[3:]} answer" if k != "wl_gone" else "acknowledged write gone",
                 True)]
    if k in ("wl_error", "sc_error"):
        return [("client", f"error: {e.get('reason', '?')}", True)]
    if k == "sc_state_lost":
        return [("client", f"state lost in {e.get('in', '?')}", True)]
    if k == "sc_wrong":
        return [("client", f"{e.get('in', '?')} answered wrongly once", True)]
    if k in ("wl_done", "sc_verify"):
        bad = [f"{e.get(c)} {c}" for c in CLIENT_BAD if e.get(c, "0") not in ("0", "")]
        if bad:
            return [("client", ", ".join(bad), True)]
        if e.get("retried", "0") != "0":
            return [("client", f"{e.get('retried')} retried", False)]
        return []
    if k == "sc_probe" and e.get("state", "ok") != "ok":
        return [("client", f"probe {label}: {e.get('state')}", True)]
    return []


def _mark(lane: str, e: Event, t0: int, label: str, bad: bool) -> Dict[str, Any]:
    return {"lane": lane, "t": e.t, "dt": max(0, e.t - t0), "label": label, "bad": bad,
            "event": e.raw}


def marks(events: Sequence[Event], svc: str, origin: Optional[int],
          chosen: Dict[str, Optional[int]]) -> List[Dict[str, Any]]:
    """The timeline's marks from the origin on. The detected and serving
    lanes hold exactly the verdict's choices (chosen: lane -> event index),
    so the picture shows the recovery the verdict timed; every other lane
    shows what happened around it."""
    if origin is None or events[origin].t is None:
        return []
    t0 = events[origin].t
    out = []
    for i in range(origin, len(events)):
        e = events[i]
        if e.t is None:
            continue
        for lane, text, bad in _side_marks(e, svc):
            out.append(_mark(lane, e, t0, text, bad))
        for lane in ("detected", "serving"):
            if chosen.get(lane) == i:
                how = e.get("how") or e.get("why")
                text = {"detected": f"{e.kind}{f' ({how})' if how else ''}",
                        "serving": {"init_result": "init done", "update_done": "update done",
                                    "update_aborted": "old version serving",
                                    "update_failed": "old version back",
                                    "rs_recovered": "RS serving",
                                    "down": "down as required"}.get(e.kind, e.kind)}[lane]
                bad = lane == "detected" and e.kind in ("down", "update_failed")
                out.append(_mark(lane, e, t0, text, bad))
    return out


def point(events: Sequence[Event], i: Optional[int]) -> Optional[Dict[str, Any]]:
    """One chosen event as evidence: its index, kind, virtual time, line."""
    if i is None:
        return None
    e = events[i]
    return {"index": i, "kind": e.kind, "t": e.t, "event": e.raw}


def fired_sites(events: Sequence[Event]) -> List[Dict[str, Any]]:
    """Every fault site that fired in the run, once each: the process it
    is in, its name, the fault type and how often it fired (the kernel's
    running count, the last one seen). The coverage report's activation
    section adds these up over a campaign (reports/activation.py)."""
    out: Dict[tuple, Dict[str, Any]] = {}
    for e in events:
        if e.kind != "fi_fired":
            continue
        key = (e.get("proc") or "?", e.get("site") or "?")
        try:
            n = int(e.get("fired") or 1)
        except ValueError:
            n = 1
        prev = out.get(key)
        out[key] = {"proc": key[0], "site": key[1], "type": e.get("type"),
                    "fired": max(n, prev["fired"] if prev else 0)}
    return list(out.values())
