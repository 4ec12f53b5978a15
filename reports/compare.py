"""Did recovery get worse? Two campaigns' results compared, for regression CI.

    python3 -m campaigns compare BASE NEW [-v]      (this module's main)
    python3 -m campaigns compare --trim RESULTS -o FILE

BASE and NEW are each a results.json, a report directory holding one, a
journal, or a baseline trimmed from one (--trim keeps only what a
comparison reads: campaigns/baseline/*.json). The comparison is pure, over
result records, and reuses the survivability analysis (reports/survival.py:
what survived, what was activated, failure signatures):

- per component (the experiment's service) x fault type x policy, and per
  component over all its faults: the share of activated experiments that
  survived (benign or recovered) on each side, with its 95 % Wilson
  interval, and the p-value of a one-sided Fisher exact test of "NEW
  survives less often than BASE";
- the failure signatures (outcome, first divergent event, site's function)
  of each component that appeared in NEW or vanished from it;
- the experiments present in both (matched by id) whose outcome flipped.

The test. Fisher's exact test conditions on the 2x2 table's margins and
sums hypergeometric probabilities, so it is exact at any size: groups here
hold a handful of experiments (a cell of a 200-experiment sample has 2-5),
where the normal approximation of a z- or chi-square test is not valid.
It is one-sided because the gate asks one question, "is NEW worse": an
improvement must not fail CI, and the one-sided test has the power of the
whole 5 % for the direction asked. Dozens of groups are tested at once, so
the p-values are adjusted by Holm's step-down method (family-wise error 5 %
under any dependence between groups, which the overlapping per-component
rows have): a change is a significant regression when its adjusted p-value
is below ALPHA. Small groups can never reach that (3/3 -> 0/3 has p = 0.05
before adjustment), which is why a new failure signature fails the gate on
its own: a single experiment newly failing in a new way is seen.

Exit status of main: 1 on a significant regression or a new signature, 0
otherwise, 2 when an input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from reports import survival

ALPHA = 0.05
# the record fields a comparison reads (trim keeps these and nothing else)
KEEP = ("id", "service", "fault", "site", "policy", "outcome", "expected", "ok", "activated",
        "site_function")
ALL_FAULTS = "all faults"
EXAMPLES = 3


# ---------------------------------------------------------------- statistics

def fisher_less(k_base: int, n_base: int, k_new: int, n_new: int) -> float:
    """One-sided Fisher exact test of the 2x2 table
         survived  failed
    BASE k_base    n_base - k_base
    NEW  k_new     n_new - k_new
    against the alternative that NEW's survival probability is lower: the
    probability, with the margins fixed, of NEW having k_new survivors or
    fewer (the hypergeometric lower tail). Exact integer arithmetic; the
    one division is correctly rounded."""
    for k, n in ((k_base, n_base), (k_new, n_new)):
        if not 0 <= k <= n:
            raise ValueError(f"fisher_less: {k} survivors out of {n}")
    total, survivors = n_base + n_new, k_base + k_new
    if total == 0:
        return 1.0
    lo = max(0, survivors - n_base)
    tail = sum(math.comb(n_new, x) * math.comb(n_base, survivors - x)
               for x in range(lo, k_new + 1))
    return min(1.0, tail / math.comb(total, survivors))


def holm(pvalues: Sequence[float]) -> List[float]:
    """Holm's step-down adjustment: the i-th smallest of m p-values is
    multiplied by m - i (i from 0), made monotone, capped at 1; returned in
    the input's order. Rejecting where the adjusted value is below alpha
    keeps the family-wise error at alpha."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


# ---------------------------------------------------------------- inputs

def load(path: str) -> Tuple[str, List[Dict[str, Any]]]:
    """(campaign name, records) of a results.json, a report directory, a
    journal or a trimmed baseline. ValueError says what is wrong."""
    from campaigns.reverdict import load as load_records
    p = os.path.join(path, "results.json") if os.path.isdir(path) else path
    if not os.path.exists(p):
        raise ValueError(f"{path}: no results.json there" if os.path.isdir(path)
                         else f"{path}: no such file")
    try:
        records = load_records(p)
        name = ""
        if p.endswith(".json"):
            with open(p, encoding="utf-8") as f:
                doc = json.load(f)
            name = str(doc.get("campaign") or "") if isinstance(doc, dict) else ""
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a campaign's results ({e})") from None
    if not all(isinstance(r, dict) and r.get("id") for r in records):
        raise ValueError(f"{path}: a record without an id")
    return name or os.path.basename(os.path.dirname(os.path.abspath(p))), records


def trim(records: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The records with only what compare reads: KEEP, and of the verdict's
    evidence the first divergence's label (the signature's middle part)
    and the site the fault fired at (for a spec that named none)."""
    out = []
    for r in records:
        t = {k: r.get(k) for k in KEEP if r.get(k) is not None}
        ev = survival.evidence_of(r)
        if ev is not None:
            label, _ = survival.divergence(r)
            t["evidence"] = {"divergence": {"label": label} if label != "none" else None,
                             "site": ev.get("site")}
        out.append(t)
    return out


def write_trimmed(src: str, dest: str) -> int:
    """Write the trimmed records of src to dest (a baseline); their number."""
    name, records = load(src)
    doc = {"campaign": name,
           "note": "trimmed results (reports/compare.py trim): the baseline of "
                   "`python3 -m campaigns compare`; `make baseline` writes it",
           "results": trim(records)}
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    with open(dest + ".tmp", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=0, sort_keys=True)
        f.write("\n")
    os.replace(dest + ".tmp", dest)
    return len(records)


# ---------------------------------------------------------------- comparison

def _groups(records: Sequence[Mapping[str, Any]]) -> Dict[Tuple[str, str, str], List]:
    """(service, fault, policy) -> records, and (service, ALL_FAULTS, "")
    over every fault of the service but the ones that inject none."""
    g: Dict[Tuple[str, str, str], List] = {}
    for r in records:
        svc, fault = str(r.get("service") or ""), str(r.get("fault") or "")
        g.setdefault((svc, fault, survival.policy_of(r)), []).append(r)
        if fault not in survival.NO_FAULT:
            g.setdefault((svc, ALL_FAULTS, ""), []).append(r)
    return g


def _survived(records) -> Dict[str, Any]:
    """survived k of n activated, with its Wilson interval (survival.py)."""
    return survival.outcome_shares(records, ())["survived"]


def _signatures(records) -> Dict[Tuple[str, str, str, str], Dict[str, Any]]:
    """(service, outcome, first divergent event, function) -> the
    signature group, grouped per service by survival.failure_signatures."""
    out = {}
    for svc in sorted({str(r.get("service") or "") for r in records}):
        mine = [r for r in records if str(r.get("service") or "") == svc]
        for g in survival.failure_signatures(mine, examples=EXAMPLES):
            out[(svc, g["outcome"], g["event"], g["function"])] = g
    return out


def compare(base: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]],
            alpha: float = ALPHA) -> Dict[str, Any]:
    """The comparison of two campaigns' records (see the module's text):
    {"groups": [{"service", "fault", "policy", "base", "new" (shares),
                 "delta", "p", "p_holm", "regression"}],
     "appeared", "vanished": [{"service", "outcome", "event", "function",
                               "count", "examples"}],
     "flips": [{"id", "service", "base", "new", "change": worse|better|other}],
     "only_base", "only_new" (ids), "regressions" (groups), "fail" (bool),
     "alpha", "tested" (how many groups entered Holm's adjustment)}."""
    gb, gn = _groups(base), _groups(new)
    rows = []
    for key in sorted(set(gb) | set(gn), key=lambda k: (k[0], k[1] == ALL_FAULTS, k[1], k[2])):
        b, n = _survived(gb.get(key, [])), _survived(gn.get(key, []))
        row = {"service": key[0], "fault": key[1], "policy": key[2], "base": b, "new": n,
               "delta": (n["p"] - b["p"]) if b["n"] and n["n"] else None,
               "p": fisher_less(b["k"], b["n"], n["k"], n["n"]) if b["n"] and n["n"] else None,
               "p_holm": None, "regression": False}
        rows.append(row)
    tested = [r for r in rows if r["p"] is not None]
    for r, adj in zip(tested, holm([r["p"] for r in tested])):
        r["p_holm"] = adj
        r["regression"] = adj < alpha and r["delta"] < 0
    sb, sn = _signatures(base), _signatures(new)

    def sig(key, g):
        return {"service": key[0], "outcome": key[1], "event": key[2], "function": key[3],
                "count": g["count"], "examples": g["examples"]}
    appeared = [sig(k, sn[k]) for k in sn if k not in sb]
    vanished = [sig(k, sb[k]) for k in sb if k not in sn]
    bid = {str(r["id"]): r for r in base}
    nid = {str(r["id"]): r for r in new}
    flips = []
    for i, r in nid.items():
        o = bid.get(i)
        if o is None or survival.outcome_of(o) == survival.outcome_of(r):
            continue
        fb, fn = survival.is_failure(o), survival.is_failure(r)
        flips.append({"id": i, "service": str(r.get("service") or ""),
                      "base": survival.outcome_of(o), "new": survival.outcome_of(r),
                      "change": "worse" if fn and not fb else "better" if fb and not fn
                      else "other"})
    regressions = [r for r in rows if r["regression"]]
    return {"groups": rows, "appeared": appeared, "vanished": vanished, "flips": flips,
            "only_base": sorted(set(bid) - set(nid)), "only_new": sorted(set(nid) - set(bid)),
            "regressions": regressions, "fail": bool(regressions or appeared),
            "alpha": alpha, "tested": len(tested)}


# ---------------------------------------------------------------- text

def _share(s: Mapping[str, Any]) -> str:
    if not s["n"]:
        return "no activated run"
    return f"{s['k']}/{s['n']} ({100 * s['p']:.0f}%, 95% CI {100 * s['lo']:.0f}-{100 * s['hi']:.0f}%)"


def _group_name(g: Mapping[str, Any]) -> str:
    return f"{g['service']} {g['fault']}" + (f" policy={g['policy']}" if g["policy"] else "")


def text(c: Mapping[str, Any], base_name: str = "BASE", new_name: str = "NEW",
         verbose: bool = False) -> str:
    """The comparison for a person: what failed the gate first, naming the
    component, then what changed."""
    out = [f"compare {base_name} -> {new_name}",
           f"test: one-sided Fisher exact test per component x fault x policy and per "
           f"component (H1: NEW survives less often), Holm-adjusted over {c['tested']} "
           f"groups, significant below {c['alpha']:g}"]
    for g in c["regressions"]:
        out.append(f"REGRESSION {_group_name(g)}: survived {_share(g['base'])} -> "
                   f"{_share(g['new'])}, p={g['p']:.3g} (Holm {g['p_holm']:.3g})")
    for s in c["appeared"]:
        out.append(f"NEW SIGNATURE {s['service']}: {s['outcome']} / {s['event']} / "
                   f"{s['function']} ({s['count']}: {', '.join(s['examples'])})")
    changed = [g for g in c["groups"] if verbose or (g["delta"] or 0) != 0
               or g["base"]["n"] != g["new"]["n"]]
    if changed:
        out.append(f"survival changes ({len(changed)} of {len(c['groups'])} groups):")
        for g in changed:
            p = f"p={g['p']:.3g} Holm {g['p_holm']:.3g}" if g["p"] is not None else "not tested"
            out.append(f"  {_group_name(g)}: {_share(g['base'])} -> {_share(g['new'])}  {p}")
    else:
        out.append(f"survival: unchanged in all {len(c['groups'])} groups")
    for s in c["vanished"]:
        out.append(f"vanished signature {s['service']}: {s['outcome']} / {s['event']} / "
                   f"{s['function']} ({s['count']} in BASE)")
    if c["flips"]:
        n = {k: sum(1 for f in c["flips"] if f["change"] == k) for k in ("worse", "better", "other")}
        out.append(f"outcomes flipped: {len(c['flips'])} ({n['worse']} worse, {n['better']} "
                   f"better, {n['other']} other)")
        for f in c["flips"][:None if verbose else 20]:
            out.append(f"  {f['change']:<6} {f['id']}: {f['base']} -> {f['new']}")
        if not verbose and len(c["flips"]) > 20:
            out.append(f"  ... {len(c['flips']) - 20} more (-v lists all)")
    else:
        out.append("outcomes flipped: none")
    if c["only_base"] or c["only_new"]:
        out.append(f"experiments in one campaign only: {len(c['only_base'])} in BASE, "
                   f"{len(c['only_new'])} in NEW")
    if c["fail"]:
        comps = sorted({g["service"] for g in c["regressions"]} |
                       {s["service"] for s in c["appeared"]})
        out.append(f"FAIL: recovery got worse in {', '.join(comps)} "
                   f"({len(c['regressions'])} significant regressions, "
                   f"{len(c['appeared'])} new failure signatures)")
    else:
        out.append("PASS: no significant regression, no new failure signature")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m campaigns compare",
                                 description="Compare a campaign with a baseline: exit 1 on a "
                                             "significant regression or a new failure signature.")
    ap.add_argument("paths", nargs="+", metavar="BASE NEW",
                    help="results.json, report directory, journal or trimmed baseline")
    ap.add_argument("-v", "--verbose", action="store_true", help="every group and every flip")
    ap.add_argument("--trim", action="store_true",
                    help="write RESULTS trimmed to what compare reads (a baseline) to -o")
    ap.add_argument("-o", "--output", help="with --trim: the baseline file to write")
    ap.add_argument("--alpha", type=float, default=ALPHA, help="significance level")
    a = ap.parse_args(argv)
    prog = "python3 -m campaigns compare"
    try:
        if a.trim:
            if len(a.paths) != 1 or not a.output:
                print(f"{prog} --trim RESULTS -o FILE", file=sys.stderr)
                return 2
            n = write_trimmed(a.paths[0], a.output)
            print(f"baseline of {n} experiments written to {a.output}")
            return 0
        if len(a.paths) != 2:
            print(f"{prog}: give BASE and NEW", file=sys.stderr)
            return 2
        (bn, base), (nn, new) = load(a.paths[0]), load(a.paths[1])
    except ValueError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    c = compare(base, new, a.alpha)
    print(text(c, f"{a.paths[0]} ({bn}, {len(base)} experiments)",
               f"{a.paths[1]} ({nn}, {len(new)} experiments)", a.verbose))
    return 1 if c["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
