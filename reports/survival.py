"""Survivability of a fault campaign, from its result records: how often the
system survived each kind of fault, with how much confidence, and what the
failures looked like.  Pure functions over result dicts (campaigns/result.py
FIELDS); reports/build.py renders what they return, and reports/timeline.py
draws the timelines extracted here.

- wilson(k, n)            95 % Wilson score interval of a proportion k/n;
- survival_table(rs)      outcome shares per service x fault x policy, per
                          fault type, and overall;
- failstop_split(rs)      the same shares for fail-stop faults only and for
                          the whole faultload, side by side (as OSIRIS does);
- failure_signatures(rs)  failures grouped by (outcome, first divergent
                          event, the site's function);
- timeline(r)             the marks of one experiment's recovery on a
                          virtual-time axis; pick_timelines chooses whose.

Old records (no `activated`, `policy`, `ok`, `site_function`, or no events
at all) are read with the same rules, falling back as each function says.
Fault types are whatever the records name: hand sites, automatic @address
sites (EDFI-style faults) and the kernel's own (service "kernel", e.g. the
IPC path's kipc.* sites) are counted alike.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from campaigns.verdict import DETECT, OUTCOMES
from faultinj import contract
from faultinj.events import Event, parse_recorded

# two-sided 95 %: the normal quantile at 0.975 (1.95996...), not the rounded 1.96
Z95 = NormalDist().inv_cdf(0.975)

# OSIRIS's fail-stop faultload: faults that stop the component at once
# (crash, panic) or make it stop answering (hang, deadlock, stale_ping), and
# the null-pointer dereference OSIRIS injects as its fail-stop model. Which
# types those are is a column of the contract (contract/guest_host.def).
FAIL_STOP_FAULTS = contract.FAIL_STOP

# the outcomes that mean the system survived the fault: it took no notice,
# or RS recovered the service with every answer right and all state kept
SURVIVED = ("benign", "recovered")

# experiments that inject no fault: a plain live update (lu_ok) tests the
# update path; it keeps its own row but stays out of the all-faults figures
NO_FAULT = frozenset({"lu_ok"})

# a record without a recovery policy ran with the service's own
DEFAULT_POLICY = "default"


# ---------------------------------------------------------------- statistics

def wilson(k: int, n: int, z: float = Z95) -> Optional[Tuple[float, float]]:
    """The Wilson score interval (lo, hi) of the proportion k/n, or None when
    n is 0.  Unlike the normal approximation it stays inside [0, 1] and is
    not empty at 0/n or n/n, which campaigns of a few dozen runs hit often."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"wilson: {k} successes out of {n}")
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # exact ends at 0/n and n/n (rounding would leave 1e-17 or 0.9999...)
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


def share(k: int, n: int) -> Dict[str, Any]:
    """k of n as a share with its 95 % Wilson interval; p, lo, hi are None
    when n is 0 (no activated experiment to take a share of)."""
    ci = wilson(k, n)
    return {"k": k, "n": n, "p": k / n if n else None,
            "lo": ci[0] if ci else None, "hi": ci[1] if ci else None}


# ---------------------------------------------------------------- record fields

def outcome_of(r: Mapping[str, Any]) -> str:
    return str(r.get("outcome") or "none")


def policy_of(r: Mapping[str, Any]) -> str:
    p = r.get("policy")
    return DEFAULT_POLICY if p in (None, "") else str(p)


def events_of(r: Mapping[str, Any]) -> List[Event]:
    """The record's trace, parsed; lines that do not parse are skipped."""
    ev = r.get("events") or []
    if isinstance(ev, str):
        ev = ev.splitlines()
    out = []
    for line in ev:
        e = parse_recorded(str(line))
        if e is not None:
            out.append(e)
    return out


def was_activated(r: Mapping[str, Any]) -> bool:
    """Whether the experiment's fault fired: the verdict's `activated`.
    A record without that field (older tools) is taken at its outcome:
    the verdict says not_activated only of a run whose fault never fired,
    and any other outcome of such a run names a failure worth counting.
    A live update (lu_ok, NO_FAULT) arms no fault; its stimulus is the
    update request, which always happens, so it counts as activated unless
    classified otherwise."""
    if outcome_of(r) == "not_activated":
        return False
    if r.get("fault") in NO_FAULT:
        return True
    a = r.get("activated")
    return a if isinstance(a, bool) else True


def is_failure(r: Mapping[str, Any]) -> bool:
    """An activated experiment that did not come out as required: marked
    not ok, or an outcome other than benign/recovered (even one the spec
    expected, such as a boot service's init failure halting the system:
    survivable it is not).  Not-activated runs are no failure of anything."""
    return was_activated(r) and (r.get("ok") is False or outcome_of(r) not in SURVIVED)


# ---------------------------------------------------------------- shares

def outcome_columns(records: Iterable[Mapping[str, Any]],
                    order: Sequence[str] = OUTCOMES) -> List[str]:
    """The outcome classes the activated records show, in `order`, then any
    the order does not know (old records' "failed", say), sorted."""
    seen = {outcome_of(r) for r in records if was_activated(r)}
    seen.discard("not_activated")
    return [o for o in order if o in seen] + sorted(seen - set(order))


def outcome_shares(records: Sequence[Mapping[str, Any]],
                   outcomes: Sequence[str]) -> Dict[str, Any]:
    """Counts and shares of one group of records.  Only activated records
    enter the shares (a fault that never fired says nothing about
    survival); the others are counted in not_activated.  `survived` is the
    share of benign + recovered."""
    act = [r for r in records if was_activated(r)]
    n = len(act)
    counts: Dict[str, int] = {}
    for r in act:
        counts[outcome_of(r)] = counts.get(outcome_of(r), 0) + 1
    return {
        "experiments": len(records),
        "activated": n,
        "not_activated": len(records) - n,
        "survived": share(sum(counts.get(o, 0) for o in SURVIVED), n),
        "shares": {o: share(counts.get(o, 0), n) for o in outcomes},
    }


def _rank(value: str, order: Sequence[str]) -> Tuple[int, str]:
    return (order.index(value), "") if value in order else (len(order), value)


def survival_table(records: Sequence[Mapping[str, Any]],
                   fault_order: Sequence[str] = (),
                   outcome_order: Sequence[str] = OUTCOMES) -> Dict[str, Any]:
    """Outcome shares per (service, fault, policy), per fault type over all
    services and policies, and over the whole campaign.

    {"outcomes": [column, ...],
     "rows":     [{"service", "fault", "policy", **outcome_shares}, ...],
     "by_fault": [{"fault", **outcome_shares}, ...],
     "overall":  outcome_shares}      (every fault; NO_FAULT runs left out)
    Rows are sorted by service, by fault in fault_order (unknown faults
    after, by name), then policy with the default first."""
    cols = outcome_columns(records, outcome_order)
    groups: Dict[Tuple[str, str, str], List[Mapping[str, Any]]] = {}
    faults: Dict[str, List[Mapping[str, Any]]] = {}
    for r in records:
        svc, fault = str(r.get("service") or ""), str(r.get("fault") or "")
        groups.setdefault((svc, fault, policy_of(r)), []).append(r)
        faults.setdefault(fault, []).append(r)

    def key(k):
        svc, fault, pol = k
        return (svc, _rank(fault, fault_order), pol != DEFAULT_POLICY, pol)

    rows = [dict(service=s, fault=f, policy=p, **outcome_shares(groups[(s, f, p)], cols))
            for s, f, p in sorted(groups, key=key)]
    by_fault = [dict(fault=f, **outcome_shares(faults[f], cols))
                for f in sorted(faults, key=lambda f: _rank(f, fault_order))]
    return {"outcomes": cols, "rows": rows, "by_fault": by_fault,
            "overall": outcome_shares([r for r in records if r.get("fault") not in NO_FAULT],
                                      cols)}


def failstop_split(records: Sequence[Mapping[str, Any]],
                   outcome_order: Sequence[str] = OUTCOMES,
                   fail_stop: Iterable[str] = FAIL_STOP_FAULTS) -> Dict[str, Any]:
    """The outcome shares of the fail-stop faults alone next to those of
    the full faultload: recovery built for fail-stop faults is judged on
    both, and the gap is what non-fail-stop faults (silent corruption,
    wrong branches) cost.  {"outcomes", "fail_stop_faults", "fail_stop",
    "all"}; "all" leaves out the runs that inject no fault (NO_FAULT)."""
    fs = frozenset(fail_stop)
    cols = outcome_columns(records, outcome_order)
    return {"outcomes": cols, "fail_stop_faults": sorted(fs),
            "fail_stop": outcome_shares([r for r in records if r.get("fault") in fs], cols),
            "all": outcome_shares([r for r in records if r.get("fault") not in NO_FAULT],
                                  cols)}


# ---------------------------------------------------------------- signatures

# Event kinds of a normal recovery and of bookkeeping: what a trace shows
# after a fault fires when the service crashes (or stops answering), RS
# notices, restarts it, the service restores its state and the clients
# retry and are answered.  The first event after the fault that is not one
# of these (or is one of these saying something went wrong, see
# _abnormal) is where the run left the recovery path: the failure's
# "first divergent event".
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


def _abnormal(e: Event) -> Optional[str]:
    """What a normal-kind event says went wrong, or None: a failed init or
    restart, a client's lost or wrong or stale answers, a probe that found
    a service down or its state lost."""
    if e.kind in ("init_result", "sef_init", "restarted", "sc_service") \
            and e.get("result", "0") != "0":
        return "failed"
    if e.kind in ("wl_done", "sc_verify"):
        for k in ("wrong", "stale", "lost"):
            if e.get(k, "0") not in ("0", ""):
                return k
    if e.kind == "sc_probe" and e.get("state", "ok") != "ok":
        return e.get("state")
    return None


def reference_kinds(reference: Iterable[str]) -> frozenset:
    """A normal set taken from a reference trace (event lines, e.g. a run of
    the same experiment that recovered): the kinds it shows.  Passed as
    `normal` to first_divergence, a failing run then diverges at its first
    event of a kind the reference never showed."""
    kinds = set()
    for line in reference:
        e = parse_recorded(str(line))
        if e is not None:
            kinds.add(e.kind)
    return frozenset(kinds)


def first_divergence(events: Sequence[Event],
                     normal: Iterable[str] = NORMAL_KINDS) -> Tuple[str, Optional[Event]]:
    """(label, event) of the first event after the fault fired (the first
    fi_fired; the whole trace if none did) that is not normal: its kind is
    not in `normal`, or it is but says something failed (then the label is
    kind:what, e.g. init_result:failed, wl_done:lost, sc_probe:down).
    ("none", None) when every event after the fault looks normal: the
    failure shows only in what the verdict adds up (client counts)."""
    normal = frozenset(normal)
    start = next((i for i, e in enumerate(events) if e.kind == "fi_fired"), -1)
    for e in events[start + 1:]:
        if e.kind not in normal:
            return e.kind, e
        what = _abnormal(e)
        if what:
            return f"{e.kind}:{what}", e
    return "none", None


def site_function(r: Mapping[str, Any], events: Optional[Sequence[Event]] = None) -> str:
    """The function the fault site lies in: site_function when the record
    has it (automatic @address sites), else the site's name (hand sites
    are named after their place); a spec that left the site to the fault's
    default names it nowhere but in the fi_fired event, so that is asked
    next; "(default site)" when even that is missing."""
    named = r.get("site_function") or r.get("site")
    if named:
        return str(named)
    for e in events if events is not None else events_of(r):
        if e.kind == "fi_fired" and e.get("site"):
            return e.get("site")
    return "(default site)"


def signature(r: Mapping[str, Any], normal: Iterable[str] = NORMAL_KINDS
              ) -> Tuple[str, str, str]:
    """(outcome, first divergent event, site's function) of one record."""
    evs = events_of(r)
    return outcome_of(r), first_divergence(evs, normal)[0], site_function(r, evs)


def failure_signatures(records: Sequence[Mapping[str, Any]], examples: int = 3,
                       outcome_order: Sequence[str] = OUTCOMES,
                       normal: Iterable[str] = NORMAL_KINDS) -> List[Dict[str, Any]]:
    """The failures (is_failure) grouped by signature, most frequent first
    (ties by outcome order, then event and function):
    [{"outcome", "event", "function", "count", "expected" (how many of them
      the spec expected), "faults" (fault types), "services", "ids" (all, in
      record order), "examples" (the first `examples` ids),
      "example_event" (the divergent line of the first)}]."""
    groups: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
    for r in records:
        if not is_failure(r):
            continue
        evs = events_of(r)
        label, ev = first_divergence(evs, normal)
        key = (outcome_of(r), label, site_function(r, evs))
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"outcome": key[0], "event": label, "function": key[2],
                               "count": 0, "expected": 0, "faults": [], "services": [],
                               "ids": [], "example_event": ev.raw if ev else None}
        g["count"] += 1
        g["expected"] += int(r.get("ok") is True)
        g["ids"].append(str(r.get("id") or ""))
        for field, k in (("faults", "fault"), ("services", "service")):
            v = str(r.get(k) or "")
            if v not in g[field]:
                g[field].append(v)
    out = sorted(groups.values(), key=lambda g: (-g["count"], _rank(g["outcome"], outcome_order),
                                                 g["event"], g["function"]))
    for g in out:
        g["examples"] = g["ids"][:examples]
    return out


# ---------------------------------------------------------------- timelines

# the lanes of a timeline picture, top to bottom
LANES = ("fault", "detected", "restarted", "serving", "client")


def _marks(e: Event, svc: str) -> List[Tuple[str, str, bool]]:
    """[(lane, label, bad)] of an event worth marking for service svc.
    Detection is RS's (verdict.DETECT for svc, the kernel seeing RS die) or
    a panic; serving again is what the verdict times recovery by (svc's
    init done, an update done or aborted, RS re-adopting its services): an
    aborted update is both, since the old version goes on serving."""
    k, label = e.kind, e.get("label")
    if k == "fi_fired":
        return [("fault", f"{e.get('type', 'fault')} fired at {e.get('site', '?')}", False)]
    if k == "fi_effect":
        return [("fault", f"effect: {e.get('what', '?')}", False)]
    if k == "update_requested" and label == svc:
        return [("fault", "update requested", False)]
    if k == "update_aborted" and label == svc:
        return [("detected", "update aborted", False), ("serving", "old version serving", False)]
    if k in DETECT and label == svc:
        how = e.get("how") or e.get("why")
        return [("detected", f"{k}{f' ({how})' if how else ''}", k in ("down", "update_failed"))]
    if k == "rs_died":
        return [("detected", f"RS died ({e.get('why', '?')})", False)]
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
    if k == "init_result" and label == svc:
        ok = e.get("result") == "0"
        return [("serving", "init done" if ok else f"init failed ({e.get('result')})", not ok)]
    if k == "update_done" and label == svc:
        return [("serving", "update done", False)]
    if k == "rs_recovered":
        gone = e.get("gone", "?")
        return [("serving", f"RS serving ({gone} services gone)", gone != "0")]
    if k == "wl_rebind":
        return [("client", "rebind", False)]
    if k in ("wl_wrong", "wl_stale"):
        return [("client", f"{k[3:]} answer", True)]
    if k in ("wl_error", "sc_error"):
        return [("client", f"error: {e.get('reason', '?')}", True)]
    if k == "sc_state_lost":
        return [("client", f"state lost in {e.get('in', '?')}", True)]
    if k in ("wl_done", "sc_verify"):
        bad = [f"{e.get(c)} {c}" for c in ("wrong", "stale", "lost") if e.get(c, "0") != "0"]
        if bad:
            return [("client", ", ".join(bad), True)]
        if e.get("retried", "0") != "0":
            return [("client", f"{e.get('retried')} retried", False)]
        return []
    if k == "sc_probe" and e.get("state", "ok") != "ok":
        return [("client", f"probe {label}: {e.get('state')}", True)]
    return []


def timeline(r: Mapping[str, Any]) -> Dict[str, Any]:
    """The marks of one experiment on a virtual-time axis whose origin is the
    fault firing (for lu_ok the update request; without either, the first
    event).  {"id", "service", "fault", "site", "outcome", "why", "t0",
    "origin" (the origin event's kind),
    "marks": [{"lane", "dt" (µs since t0), "label", "bad", "event"}],
    "end": {"dt", "kind", "how"} or None, "detect_us", "recover_us"}.
    Events before the origin, and events without a time, are left out."""
    svc = str(r.get("service") or "")
    evs = [e for e in events_of(r) if e.t is not None]
    origin = next((i for i, e in enumerate(evs) if e.kind == "fi_fired"), None)
    if origin is None:
        origin = next((i for i, e in enumerate(evs) if e.kind == "update_requested"
                       and e.get("label") == svc), None)
    if origin is None and evs:
        origin = 0
    t0 = evs[origin].t if origin is not None else None
    marks = []
    for e in evs[origin:] if origin is not None else []:
        for lane, text, bad in _marks(e, svc):
            marks.append({"lane": lane, "dt": max(0, e.t - t0), "label": text,
                          "bad": bad, "event": e.raw})
    end = None
    if evs and t0 is not None:
        end = {"dt": max(0, evs[-1].t - t0), "kind": evs[-1].kind, "how": r.get("end")}

    def num(k):
        v = r.get(k)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) \
            and math.isfinite(v) else None

    # a spec that left the site to the fault's default names it only in fi_fired
    site = r.get("site") or next((e.get("site") for e in evs if e.kind == "fi_fired"), None)
    return {"id": str(r.get("id") or ""), "service": svc, "fault": str(r.get("fault") or ""),
            "site": site, "outcome": outcome_of(r), "why": r.get("why"), "t0": t0,
            "origin": evs[origin].kind if origin is not None else None,
            "marks": marks, "end": end, "detect_us": num("detect_virtual_us"),
            "recover_us": num("recover_virtual_us")}


def pick_timelines(records: Sequence[Mapping[str, Any]],
                   signatures: Sequence[Mapping[str, Any]],
                   cap: int = 20, slowest: int = 5) -> List[Dict[str, Any]]:
    """Whose timelines to draw: failures, at most `cap`, one per signature
    before a second of any (in signature order), then the `slowest`
    experiments by recover_virtual_us.  [{"record", "reasons": [...]}] in
    that order; an experiment picked twice has both reasons."""
    by_id = {}
    for r in records:
        by_id.setdefault(str(r.get("id") or ""), r)
    picked: Dict[str, Dict[str, Any]] = {}
    depth = 0
    while len(picked) < cap and any(depth < len(s["ids"]) for s in signatures):
        for s in signatures:
            if len(picked) >= cap:
                break
            if depth < len(s["ids"]) and s["ids"][depth] in by_id \
                    and s["ids"][depth] not in picked:
                picked[s["ids"][depth]] = {
                    "record": by_id[s["ids"][depth]],
                    "reasons": [f"failed: {s['outcome']} / {s['event']} / {s['function']}"]}
        depth += 1
    timed = [r for r in records if isinstance(r.get("recover_virtual_us"), (int, float))
             and not isinstance(r.get("recover_virtual_us"), bool)
             and math.isfinite(r["recover_virtual_us"])]
    timed.sort(key=lambda r: -r["recover_virtual_us"])
    for r in timed[:slowest]:
        rid = str(r.get("id") or "")
        why = f"slow: back after {r['recover_virtual_us'] / 1000:.3g} ms virtual"
        if rid in picked:
            picked[rid]["reasons"].append(why)
        else:
            picked[rid] = {"record": r, "reasons": [why]}
    return list(picked.values())
