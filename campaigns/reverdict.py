"""Judge a finished campaign's traces again with today's verdict, and say
which verdicts changed, how many, and why.

    python3 -m campaigns reverdict RESULTS [--against OTHER] [--examples N]

RESULTS is a campaign's results.json (or its journal.jsonl). Every record
is classified again from its own recorded trace (campaigns/verdict.py, the
same pure function the engine uses), so a change of the verdict's rules is
seen on identical traces. With --against, the outcome shares of a second
campaign (e.g. the same faultload run on a newer build) are printed next to
the first's, per fault type.
"""

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from . import runner
from .spec_model import Experiment
from .verdict import OUTCOMES


def load(path: str) -> List[Dict[str, Any]]:
    """The records of a results.json ({"results": [...]}) or a journal
    (one JSON record per line; the last record of an id wins)."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".json":
        doc = json.loads(text)
        return list(doc["results"] if isinstance(doc, dict) else doc)
    by_id: Dict[str, Dict[str, Any]] = {}
    for line in text.split("\n"):            # one record a line, nothing else splits
        if line.strip():
            r = json.loads(line)
            by_id[r["id"]] = r
    return list(by_id.values())


def changes(records: Iterable[Mapping[str, Any]]) -> Tuple[List[Dict[str, Any]], int]:
    """[(old, new, id, new why)] of every record whose outcome the verdict
    now gives differently, and how many records were judged."""
    out, n = [], 0
    for r in records:
        if not r.get("events"):
            continue                     # nothing to judge again
        n += 1
        new = runner.reclassify(Experiment.from_record(r), dict(r))
        if new["outcome"] != r.get("outcome"):
            out.append({"id": r["id"], "fault": r.get("fault"), "old": r.get("outcome"),
                        "new": new["outcome"], "why": new["why"], "old_why": r.get("why")})
    return out, n


def _reason(why: str) -> str:
    """A why without its numbers and names, to group alike changes."""
    words = []
    for w in str(why).replace(";", " ;").split():
        words.append("N" if any(c.isdigit() for c in w) else w)
    return " ".join(words)[:110]


def flip_table(flips: Sequence[Mapping[str, Any]], examples: int = 2) -> List[str]:
    rows = defaultdict(list)
    for f in flips:
        rows[(f["old"], f["new"], _reason(f["why"]))].append(f["id"])
    lines = [f"{'count':>5}  {'was':<22} {'now':<22} why (today's verdict)"]
    for (old, new, why), ids in sorted(rows.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"{len(ids):>5}  {old:<22} {new:<22} {why}")
        lines.append(f"{'':>5}  e.g. {', '.join(ids[:examples])}")
    return lines


def shares(records: Iterable[Mapping[str, Any]]) -> Dict[str, Counter]:
    by: Dict[str, Counter] = defaultdict(Counter)
    for r in records:
        by[str(r.get("fault"))][str(r.get("outcome"))] += 1
        by["(all)"][str(r.get("outcome"))] += 1
    return by


def side_by_side(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]],
                 names: Tuple[str, str]) -> List[str]:
    sa, sb = shares(a), shares(b)
    lines = []
    for fault in sorted(set(sa) | set(sb), key=lambda f: (f != "(all)", f)):
        ca, cb = sa.get(fault, Counter()), sb.get(fault, Counter())
        na, nb = sum(ca.values()), sum(cb.values())
        lines.append(f"{fault}: {names[0]} n={na}, {names[1]} n={nb}")
        for o in OUTCOMES:
            if ca[o] or cb[o]:
                lines.append(f"    {o:<22} {ca[o]:>5} ({100 * ca[o] / max(na, 1):5.1f}%)"
                             f"   {cb[o]:>5} ({100 * cb[o] / max(nb, 1):5.1f}%)")
        for o in sorted((set(ca) | set(cb)) - set(OUTCOMES)):
            lines.append(f"    {o:<22} {ca[o]:>5}   {cb[o]:>5}   (outcome of an older taxonomy)")
    return lines


def main(args) -> int:
    records = load(args.results)
    flips, n = changes(records)
    print(f"{args.results}: {n} records judged again, {len(flips)} verdicts changed")
    if flips:
        print("\n".join(flip_table(flips, args.examples)))
    if args.against:
        other = load(args.against)
        print()
        print("\n".join(side_by_side(records, other, (args.results, args.against))))
    return 0
