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

The trace itself is never read here: what it shows (the first divergence,
the default site, the timeline's marks) comes from the record's `evidence`,
which the verdict computed with the very rules it judged by
(campaigns/evidence.py), so the report cannot restate them differently.
Old records (no `activated`, `policy`, `ok`, `site_function`, `evidence`)
are read with the same rules, falling back as each function says.
Fault types are whatever the records name: hand sites, automatic @address
sites (EDFI-style faults) and the kernel's own (service "kernel", e.g. the
IPC path's kipc.* sites) are counted alike.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from campaigns.evidence import LANES
# what a failure is and its signature: campaigns/signature.py's (the
# minimiser keeps the same signature), and this module's names too
from campaigns.signature import (DEFAULT_POLICY, NO_EVIDENCE, NO_FAULT, SURVIVED,  # noqa: F401
                                 divergence, evidence_of, is_failure, outcome_of, policy_of,
                                 signature, site_function, was_activated)  # noqa: F401
from campaigns.verdict import OUTCOMES
from faultinj import contract

# two-sided 95 %: the normal quantile at 0.975 (1.95996...), not the rounded 1.96
Z95 = NormalDist().inv_cdf(0.975)

# OSIRIS's fail-stop faultload: faults that stop the component at once
# (crash, panic) or make it stop answering (hang, deadlock, stale_ping), and
# the null-pointer dereference OSIRIS injects as its fail-stop model. Which
# types those are is a column of the contract (contract/guest_host.def).
FAIL_STOP_FAULTS = contract.FAIL_STOP


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


def failure_signatures(records: Sequence[Mapping[str, Any]], examples: int = 3,
                       outcome_order: Sequence[str] = OUTCOMES) -> List[Dict[str, Any]]:
    """The failures (is_failure) grouped by signature, most frequent first
    (ties by outcome order, then event and function):
    [{"outcome", "event", "function", "count", "expected" (how many of them
      the spec expected), "faults" (fault types), "services", "ids" (all, in
      record order), "examples" (the first `examples` ids),
      "example_event" (the divergent line of the first), "no_evidence" (how
      many had no evidence, so their "none" says nothing)}]."""
    groups: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
    for r in records:
        if not is_failure(r):
            continue
        label, line = divergence(r)
        key = (outcome_of(r), label, site_function(r))
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"outcome": key[0], "event": label, "function": key[2],
                               "count": 0, "expected": 0, "faults": [], "services": [],
                               "ids": [], "example_event": line, "no_evidence": 0}
        g["count"] += 1
        g["expected"] += int(r.get("ok") is True)
        g["no_evidence"] += int(evidence_of(r) is None)
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

def _finite(v: Any) -> Optional[float]:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) \
        and math.isfinite(v) else None


def _marks(ev: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The evidence's marks that can be drawn: a known lane and a time
    (a journal is read back from disk, so nothing is taken on trust)."""
    out = []
    for m in ev.get("marks") or []:
        if not isinstance(m, Mapping) or m.get("lane") not in LANES \
                or _finite(m.get("dt")) is None:
            continue
        out.append({"lane": m["lane"], "dt": m["dt"], "label": str(m.get("label") or ""),
                    "bad": bool(m.get("bad")), "event": str(m.get("event") or "")})
    return out


def timeline(r: Mapping[str, Any]) -> Dict[str, Any]:
    """One experiment on a virtual-time axis, drawn from the verdict's
    evidence alone: its origin (the fault firing; for lu_ok the update
    request; without either, the first timed event), its marks (the
    detected and serving lanes hold the events the verdict timed), the
    last timed event, and the record's detect/recover times.
    {"id", "service", "fault", "site", "outcome", "why", "t0",
     "origin" (the origin event's kind),
     "marks": [{"lane", "dt" (µs since t0), "label", "bad", "event"}],
     "end": {"dt", "kind", "how"} or None, "detect_us", "recover_us",
     "note" (NO_EVIDENCE for a record without evidence, else None)}."""
    ev = evidence_of(r)
    origin = ev.get("origin") if ev else None
    origin = origin if isinstance(origin, Mapping) else None
    t0 = _finite(origin.get("t")) if origin else None
    last = ev.get("last") if ev else None
    end = None
    if isinstance(last, Mapping) and _finite(last.get("dt")) is not None and t0 is not None:
        end = {"dt": last["dt"], "kind": str(last.get("kind") or "?"), "how": r.get("end")}
    site = r.get("site") or (ev.get("site") if ev else None)
    return {"id": str(r.get("id") or ""), "service": str(r.get("service") or ""),
            "fault": str(r.get("fault") or ""), "site": site, "outcome": outcome_of(r),
            "why": r.get("why"), "t0": t0,
            "origin": str(origin.get("kind")) if origin and t0 is not None else None,
            "marks": _marks(ev) if ev and t0 is not None else [], "end": end,
            "detect_us": _finite(r.get("detect_virtual_us")),
            "recover_us": _finite(r.get("recover_virtual_us")),
            "note": None if ev else NO_EVIDENCE}


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
