"""python3 -m campaigns minimize ID [--spec SPEC] [--results RESULTS] [--budget N] [--out DIR]
python3 -m campaigns minimize --all --results RESULTS [--budget N]

Shrinks a failing experiment to its smallest reproducer with the same
failure signature (campaigns/minimize.py), every candidate a real run of
the campaign's runner, then replays the reproducer three times on fresh
machines and requires their traces to be byte-identical (and identical to
the search's run of it). Prints the reproducer's spec line and its `make
gdb` command, and keeps it in the campaign's output directory
(campaigns/reproducers.py: minimized.json, minimized.spec), whose report
is rebuilt to show it when the directory holds the campaign's journal.

With --results (a campaign's results.json or its report directory) the
signature to keep is the one recorded there, and the spec is the one its
replay command names unless --spec says otherwise; --all minimises each
failure signature of it, from its earliest example. Exit status 0 when
every reproducer replayed identically, 1 when one did not or the
experiment did not fail as recorded, 2 on bad input.
"""

import hashlib
import json
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from faultinj import bootimage

from . import check, engine, minimize, replay, reproducers, runner
from .signature import is_failure, signature

ROOT = engine.ROOT
REPLAYS = 3
DEFAULT_BUDGET = 60


def trace_digest(record: Mapping[str, Any]) -> str:
    """sha256 of the trace: every event line as recorded, in order."""
    return hashlib.sha256("\n".join(record.get("events") or []).encode()).hexdigest()


def read_results(path: str) -> List[Dict[str, Any]]:
    """The records of a results.json, or of the one in a report directory."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        return list(doc["results"])
    except FileNotFoundError:
        raise check.InputError(f"--results {path}: no such file") from None
    except (ValueError, KeyError, TypeError) as e:
        raise check.InputError(f"--results {path}: not a campaign's results.json "
                               f"({type(e).__name__}: {e})") from None


def spec_of(records: List[Mapping[str, Any]]) -> Optional[str]:
    """The spec a campaign's replay commands name (make campaign SPEC=...)."""
    for r in records:
        m = re.search(r"\bSPEC=(\S+)", str(r.get("replay") or ""))
        if m:
            return m.group(1)
    return None


def earliest_per_signature(records: List[Mapping[str, Any]]) -> Dict[tuple, str]:
    """signature -> id of its first failing record, in record order (the
    report's signature groups, campaigns/signature.py)."""
    out: Dict[tuple, str] = {}
    for r in records:
        if is_failure(r):
            out.setdefault(tuple(signature(r)), str(r.get("id")))
    return out


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path.resolve())


def gdb_command(exp_id: str, spec_path: Path) -> str:
    return f"make gdb EXP='{exp_id}' SPEC={_rel(spec_path)}"


def shape(exp, campaign) -> Dict[str, Any]:
    """What the passes shrink, of one experiment: its trigger, steps, load."""
    words = minimize.planned_words(exp, campaign)
    return {"id": exp.id, "line": exp.to_line(), "trigger": str(exp.trigger), "steps": words,
            "step_count": len(words), "load": minimize.load_of(words)}


def one(exp, campaign, spec_path: str, out: Path, target, budget: int,
        build: str) -> bool:
    """Minimise one experiment, replay the result, keep and print it; True
    when the reproducer replayed identically."""
    def run(e):
        return runner.run(e, campaign=campaign, spec_path=spec_path)

    # the limit the campaign gives it, written into the line: the reproducer
    # runs alike from minimized.spec, whose header has none
    exp = replace(exp, timeout=campaign.timeout_for(exp, 30.0))
    print(f"minimize {exp.id} ({spec_path}), budget {budget} runs:", flush=True)
    try:
        m = minimize.minimize(exp, campaign, run, target, budget,
                              progress=lambda s: print(s, flush=True))
    except minimize.NotReproduced as e:
        print(f"minimize: {e}", file=sys.stderr)
        return False
    best, rec = m["exp"], m["record"]
    print(f"replaying {best.id} {REPLAYS} times on fresh machines:", flush=True)
    replays = [runner.run(best, campaign=campaign, spec_path=spec_path, reuse=False)
               for _ in range(REPLAYS)]
    digests = [trace_digest(r) for r in replays]
    sigs = [minimize.failing_signature(r) for r in replays]
    identical = len(set(digests + [trace_digest(rec)])) == 1 and all(
        s == m["target"] for s in sigs)
    sig = dict(zip(("outcome", "event", "function"), m["target"]))
    before, after = shape(exp, campaign), shape(best, campaign)
    spec_file = out / reproducers.SPEC_NAME
    entry = {
        "signature": list(m["target"]), "signature_fields": sig,
        "from": before, "minimal": after, "outcome": rec.get("outcome"), "why": rec.get("why"),
        "runs": m["runs"], "budget": budget, "exhausted": m["exhausted"], "note": m["note"],
        "replays": {"digests": digests, "outcomes": [r.get("outcome") for r in replays],
                    "identical": identical},
        "gdb": gdb_command(best.id, spec_file), "build": build,
        "candidates": m["candidates"],
    }
    paths = reproducers.save(out, campaign.name, entry)
    print(f"minimal reproducer of {reproducers.key(m['target'])} "
          f"(from {exp.id}, {m['runs']} runs):")
    print(f"  trigger {before['trigger']} -> {after['trigger']}, load {before['load']} -> "
          f"{after['load']} requests, steps {before['step_count']} -> {after['step_count']}")
    if m["note"]:
        print(f"  note: {m['note']}")
    print("  the trigger is the smallest the halving found: a signature need not be "
          "monotone in it, so a smaller one may still fail alike")
    print(f"  spec line: {after['line']}")
    if identical:
        print(f"  {REPLAYS} replays: traces byte-identical (sha256 {digests[0][:16]})")
    else:
        print(f"  NOT REPRODUCIBLE: {REPLAYS} replays gave traces {[d[:12] for d in digests]} "
              f"(search run {trace_digest(rec)[:12]}), outcomes "
              f"{[r.get('outcome') for r in replays]}", file=sys.stderr)
    print(f"  {entry['gdb']}")
    print(f"  kept in {_rel(Path(paths['json']))}", flush=True)
    return identical


def rebuild_report(out: Path, spec_path: str) -> Optional[str]:
    """The campaign's report again, now with its reproducers, when out
    holds the campaign's journal (else there is no report to show them)."""
    if not (out / "journal.jsonl").exists():
        return None
    run = engine.open_run(engine.Settings(spec=spec_path, out=str(out)))
    cov = out / "coverage" / "report.json"
    return engine.write_report(run, cov if cov.exists() else None)


def main(a) -> int:
    try:
        records = read_results(a.results) if a.results else None
        if a.all and records is None:
            raise check.InputError("--all needs --results (a campaign's results.json)")
        if not a.all and not a.id:
            raise check.InputError("name the experiment to minimise (ID), or --all --results")
        spec_path = a.spec or (spec_of(records) if records else None) \
            or "campaigns/specs/default.spec"
        campaign = check.campaign_input(spec_path, build=bootimage.BUILD, root=ROOT,
                                        spec_var="--spec")
        if a.budget < 1:
            raise check.InputError(f"--budget {a.budget}: at least 1 run")
        by_id = {str(r.get("id")): r for r in records or []}
        todo = []
        if a.all:
            for sig, eid in earliest_per_signature(records).items():
                todo.append((replay.find(campaign, eid), sig))
            if not todo:
                print(f"{a.results}: no failure signatures, nothing to minimise")
                return 0
        else:
            exp = replay.find(campaign, a.id)
            r = by_id.get(exp.id)
            if r is not None and not is_failure(r):
                raise check.InputError(f"{exp.id} came out {r.get('outcome')} in {a.results}: "
                                       f"not a failure, nothing to minimise")
            todo.append((exp, tuple(signature(r)) if r is not None else None))
    except check.InputError as e:
        print(f"minimize refused: {e}", file=sys.stderr)
        return 2
    if a.out:
        out = Path(a.out)
    elif a.results:
        out = Path(a.results) if Path(a.results).is_dir() else Path(a.results).parent
    else:
        out = ROOT / "reports" / "out" / campaign.name
    build = engine.fingerprint(engine.Settings(spec=spec_path))
    good = 0
    for exp, target in todo:
        good += one(exp, campaign, spec_path, out, target, a.budget, build)
    report = rebuild_report(out, spec_path)
    if report:
        print(f"report: {report}")
    print(f"minimize: {good} of {len(todo)} reproducers replayed identically")
    return 0 if good == len(todo) else 1


def add_parser(sub) -> None:
    p = sub.add_parser("minimize", help="shrink a failing experiment to its smallest "
                                        "reproducer with the same failure signature")
    p.add_argument("id", nargs="?", help="experiment id (a glob naming one)")
    p.add_argument("--spec", help="campaign spec (default: the one --results names, "
                                  "else campaigns/specs/default.spec)")
    p.add_argument("--results", help="a campaign's results.json or report directory: "
                                     "the signature to keep, and the output directory")
    p.add_argument("--all", action="store_true",
                   help="every failure signature of --results, from its earliest example")
    p.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                   help=f"candidate runs per experiment (default {DEFAULT_BUDGET})")
    p.add_argument("--out", help="where minimized.json/.spec go (default: the results' "
                                 "directory, else reports/out/<campaign>)")

