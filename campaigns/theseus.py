"""Theseus-style classes of the kernel's IPC-path faults (issue 12).

Each experiment aimed at a `kernel.ipc.<kind>` site (os/kernel/ipc.c) ends
in one of four classes, the question being where the fault was stopped:

  panic      the system went down: the kernel panicked (kernel_panic), RS
             panicked and halted it (halted), or nothing moved any more
             (system_hang, but see `lost`)
  contained  a process failed and RS handled it: it restarted, tore down
             or gave up on a service, or RS itself was restarted by the
             kernel (recovered, torn_down, given_up, recovered_state_lost
             after a detection; and a `benign` verdict too when RS had to
             restart some other service the fault spread to)
             ; or a `benign` verdict in which the kernel reported a lost
             request or reply after the fault (ipc_timeout: a SENDREC's
             deadline passed, os/kernel/ipc_deadline.c) and its client
             asked again; or one in which a receiver's libsys found a
             message garbled on the way (ipc_garbled: its end-to-end
             check failed, os/lib/libsys/ipc.S), did not take it, and its
             sender asked again
  lost       a message was lost or garbled and nobody failed in a way that
             could be seen: a client waits for ever (client_hung), got a
             wrong answer (wrong_answers), found state gone without any
             detection (recovered_state_lost, e.g. a reply's counter
             corrupted); and a system_hang whose kernel report shows RS
             idle in its receive loop while the scenario waits on one
             process: the system runs on, only that request was lost
  benign     it fired and nothing followed

Two more, outside the four: `not_fired` (not_activated: the site was not
reached as armed) and `harness_error` (the host failed; rerun).

`classify` is a pure function of one result record (a journal or
results.json entry: its `outcome` and its recorded `events`); `summarize`
counts the classes per fault kind; `main` (python3 -m campaigns theseus
DIR) prints the table of a campaign's results.
"""

import json
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from .verdict import DETECT, Trace

CLASSES = ("panic", "contained", "lost", "benign")
OTHER = ("not_fired", "harness_error")
SITE_PREFIX = "kernel.ipc."

# verdict outcome -> class, where the outcome alone decides
_BY_OUTCOME = {
    "kernel_panic": "panic",
    "halted": "panic",
    "recovered": "contained",
    "torn_down": "contained",
    "given_up": "contained",
    "client_hung": "lost",
    "wrong_answers": "lost",
    "not_activated": "not_fired",
    "harness_error": "harness_error",
}


def kind_of(site: Optional[str]) -> Optional[str]:
    """'kernel.ipc.dest' -> 'dest'; None for any other site."""
    if site and site.startswith(SITE_PREFIX):
        return site[len(SITE_PREFIX):]
    return None


def _events(result: Mapping):
    return Trace.from_lines(result.get("events") or []).events


def _rs_acted(events) -> Optional[str]:
    """RS (or the kernel, for RS) noticed a process failure after the
    fault fired: what it noticed, or None."""
    fired = False
    for e in events:
        if e.kind == "fi_fired":
            fired = True
        elif fired and e.kind in DETECT:
            return f"{e.kind} {e.get('label')}"
        elif fired and e.kind in ("rs_died", "given_up"):
            return e.kind
    return None


def _after_fire(events, kind):
    """The first event of this kind after the fault fired, or None."""
    fired = False
    for e in events:
        if e.kind == "fi_fired":
            fired = True
        elif fired and e.kind == kind:
            return e
    return None


def _loss_reported(events) -> Optional[str]:
    """The kernel reported a lost request or reply after the fault fired
    (ev=ipc_timeout): who lost what, or None."""
    e = _after_fire(events, "ipc_timeout")
    return f"{e.get('proc')}'s {e.get('lost')} to {e.get('dst')}" if e else None


def _garble_reported(events) -> Optional[str]:
    """A receiver's libsys reported a message the kernel garbled, after the
    fault fired (ev=ipc_garbled): who refused whose message, or None."""
    e = _after_fire(events, "ipc_garbled")
    return f"{e.get('who')} refused a garbled {e.get('sent')} from {e.get('from')}" if e else None


def _idle_rs_lost_request(events) -> Optional[str]:
    """At the deadline RS is idle in receive(ANY) and the scenario waits
    on one process: the process it waits on, else None."""
    stuck = {e.get("proc"): e for e in events if e.kind == "stuck"}
    rs, sc = stuck.get("rs"), stuck.get("scenario")
    if rs is None or sc is None:
        return None
    if rs.get("getfrom") != "any" or rs.get("sendto") != "-":
        return None
    for k in ("sendto", "getfrom"):
        who = sc.get(k)
        if who not in (None, "-", "any"):
            return who
    return None


def classify(result: Mapping) -> Tuple[str, str]:
    """(class, why) of one experiment's result record."""
    outcome = result.get("outcome")
    events = _events(result)
    if outcome == "system_hang":
        who = _idle_rs_lost_request(events)
        if who:
            return "lost", f"system_hang with RS idle: the scenario's request to {who} was lost"
        return "panic", "system_hang: nothing moved"
    if outcome in ("kernel_panic", "halted"):
        return "panic", outcome
    acted = _rs_acted(events)
    if outcome == "recovered_state_lost":
        if acted:
            return "contained", f"recovered_state_lost after RS saw {acted}"
        return "lost", "state lost or a reply garbled, no process failure seen"
    if outcome == "benign":
        if acted:
            return "contained", f"benign for its target, but RS saw {acted}"
        reported = _loss_reported(events)
        if reported:
            return "contained", f"benign: the kernel reported {reported} lost, asked again"
        garbled = _garble_reported(events)
        if garbled:
            return "contained", f"benign: {garbled} (its check failed), asked again"
        if any(e.kind == "sc_done" for e in events) and \
                not any(e.kind == "sc_probe" for e in events):
            return "lost", "benign, but the probe could ask no service (RS's table unreadable)"
        return "benign", "fired, nothing followed"
    cls = _BY_OUTCOME.get(outcome)
    if cls is None:
        return "harness_error", f"unknown outcome {outcome!r}"
    return cls, outcome + (f" (RS saw {acted})" if acted and cls == "lost" else "")


def summarize(results: Iterable[Mapping]) -> "OrderedDict[str, Dict[str, int]]":
    """fault kind -> {class: count}, for the kernel.ipc.* experiments, in
    the order the kinds first appear; plus a 'total' row."""
    table: "OrderedDict[str, Dict[str, int]]" = OrderedDict()
    total = {c: 0 for c in CLASSES + OTHER}
    for r in results:
        kind = kind_of(r.get("site"))
        if kind is None:
            continue
        row = table.setdefault(kind, {c: 0 for c in CLASSES + OTHER})
        cls, _ = classify(r)
        row[cls] += 1
        total[cls] += 1
    if table:
        table["total"] = total
    return table


def has_ipc_faults(experiments: Iterable) -> bool:
    """Does a campaign aim at any kernel.ipc.* site? (spec Experiments or
    result dicts)"""
    for e in experiments:
        site = e.get("site") if isinstance(e, Mapping) else getattr(e, "site", None)
        if kind_of(site):
            return True
    return False


def summary_text(table: Mapping[str, Mapping[str, int]]) -> str:
    if not table:
        return "theseus: no kernel.ipc.* experiments"
    cols = list(CLASSES) + [c for c in OTHER if table.get("total", {}).get(c)]
    w = max(len(k) for k in table)
    lines = ["Theseus classes of the kernel IPC-path faults (campaigns/theseus.py):",
             f"{'kind':<{w}}  " + "  ".join(f"{c:>9}" for c in cols) + "  experiments"]
    for kind, row in table.items():
        if kind == "total":
            lines.append("-" * len(lines[-1]))
        n = sum(row.values())
        lines.append(f"{kind:<{w}}  " + "  ".join(f"{row.get(c, 0):>9}" for c in cols) + f"  {n:>11}")
    return "\n".join(lines)


def load_results(path: str) -> List[Dict]:
    """A campaign's results: DIR/results.json (the report), else
    DIR/journal.jsonl; or either file named directly."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json" if (p / "results.json").exists() else p / "journal.jsonl"
    if not p.exists():
        raise FileNotFoundError(f"{path}: no results.json or journal.jsonl")
    if p.suffix == ".jsonl":
        out = {}
        for line in p.read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if "id" in rec and "outcome" in rec:
                out[rec["id"]] = rec            # the last record of an id wins
        return list(out.values())
    data = json.loads(p.read_text())
    return data["results"] if isinstance(data, dict) else data


def main(path: str, verbose: bool = False, out=None) -> int:
    out = out or sys.stdout
    try:
        results = load_results(path)
    except (OSError, ValueError, KeyError) as e:
        print(f"theseus: {e}", file=sys.stderr)
        return 2
    if verbose:
        for r in results:
            if kind_of(r.get("site")):
                cls, why = classify(r)
                print(f"{cls:<13} {r['id']}: {why}", file=out)
    print(summary_text(summarize(results)), file=out)
    return 0
