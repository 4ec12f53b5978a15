"""Build a campaign report: results.json, junit.xml, index.html and SVG plots.

write_report(results, out_dir, campaign_name, coverage=None) takes the result
dicts of a campaign (as the campaign journal stores them) and writes

- results.json   every result plus a summary, for machines;
- junit.xml      one testcase per experiment, a <failure> when the outcome
                 is not the expected one (or the result is not ok), for CI;
- index.html     for people: the service x fault outcome matrix, the
                 survivability tables (reports/survival.py), recovery time
                 plots per fault type, failure signatures, timelines, the
                 slowest experiments, every failed experiment with its
                 replay command, and coverage with its fault-site
                 activation (reports/activation.py);
- recovery-*.svg the plots (reports/svgplot.py, standard library only);
- timeline-*.svg one experiment's recovery each (reports/timeline.py): the
                 failures (distinct signatures first) and the slowest.

A failure signature minimised (python3 -m campaigns minimize, minimized.json
in out_dir) shows its smallest reproducer: the spec line, how far trigger,
load and steps shrank, and its make gdb command.
Given a baseline (or with baseline.json in out_dir), index.html has a
section comparing the campaign with it (reports/compare.py).

results.json's summary holds the survivability analysis too ("survival").

A result dict has: id, service, fault, site, trigger, expected, outcome, ok,
detect_virtual_us, recover_virtual_us, detect_host_s, recover_host_s,
host_seconds, events, replay, error, forged (lines of user output that
looked like an event or a kernel panic, never taken as events), evidence
(the verdict's: what the signatures and timelines show; the trace is kept
for junit and the page but never judged here).  Missing keys and None
timings are tolerated everywhere.
"""

from __future__ import annotations

import datetime
import glob
import json
import math
import os
import random
import re
import xml.etree.ElementTree as ET
import zlib
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from campaigns.evidence import NORMAL_KINDS
from faultinj import contract
from reports import activation, survival, svgplot, timeline

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

# every field of a result record, as campaigns/result.py describes it
from campaigns.result import FIELDS as _RESULT_FIELDS  # noqa: E402
FIELDS = tuple(_RESULT_FIELDS)
TIMINGS = ("detect_virtual_us", "recover_virtual_us", "detect_host_s",
           "recover_host_s", "host_seconds")

# display order of fault types and outcomes; unknown ones follow, sorted
# the guest's fault types in the contract's order, then the spec-only lu_ok
FAULT_ORDER = tuple(contract.FAULT_TYPES[1:]) + ("lu_ok",)
# the verdict's taxonomy (campaigns/verdict.py), good news first
OUTCOME_ORDER = ("recovered", "benign", "not_activated", "torn_down", "halted",
                 "recovered_state_lost", "wrong_answers", "client_hung", "given_up",
                 "kernel_panic", "system_hang", "harness_error", "failed")
OUTCOME_COLORS = {
    "recovered": "#2e7d32", "benign": "#66bb6a", "torn_down": "#1565c0", "halted": "#6a1b9a",
    "not_activated": "#757575", "recovered_state_lost": "#f9a825",
    "wrong_answers": "#b71c1c", "client_hung": "#d84315", "given_up": "#8d6e63",
    "kernel_panic": "#000000", "system_hang": "#4e342e", "harness_error": "#9e9e9e",
    "failed": "#c62828",
}
OTHER_COLOR = "#ef6c00"
SLOWEST = 10
EVENT_TAIL = 40
PLOT_PREFIX = "recovery-"
TIMELINE_PREFIX = "timeline-"
TIMELINES_FAILED = 20      # failures drawn at most (distinct signatures first)
TIMELINES_SLOWEST = 5      # and the slowest recoveries
SIGNATURE_EXAMPLES = 3


def _num(x: Any) -> Optional[float]:
    """x as a finite float, or None (missing, junk, NaN)."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def result_passed(r: Mapping[str, Any]) -> bool:
    """As required: campaigns/result.py's one decision, from the record,
    and not marked otherwise by whoever wrote it (ok=False)."""
    from campaigns.result import passed
    same = passed(r.get("outcome"), r.get("expected"))
    return same if r.get("ok") is None else bool(r.get("ok")) and same


def normalize(result: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy of one result with every field present and `passed` computed."""
    r = dict(result)
    for k in FIELDS:
        r.setdefault(k, None)
    for k in TIMINGS:
        r[k] = _num(r[k])
    ev = r.get("events")
    if ev is None:
        r["events"] = []
    elif isinstance(ev, str):
        r["events"] = ev.splitlines()
    else:
        r["events"] = [str(e) for e in ev]
    for k in ("id", "service", "fault", "outcome", "expected"):
        r[k] = "" if r[k] is None else str(r[k])
    r["forged"] = int(_num(r["forged"]) or 0)
    r["stream_notes"] = [str(n) for n in (r.get("stream_notes") or [])]
    r["passed"] = result_passed(r)
    return r


def _ordered(values: Iterable[str], order: Sequence[str]) -> List[str]:
    vals = set(values)
    return [v for v in order if v in vals] + sorted(vals - set(order))


def summarize(results: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    by_outcome: Dict[str, int] = {}
    for r in results:
        by_outcome[r["outcome"]] = by_outcome.get(r["outcome"], 0) + 1
    failed = sum(1 for r in results if not r["passed"])
    host = [r["host_seconds"] for r in results if r["host_seconds"] is not None]
    return {
        "total": len(results),
        "passed": len(results) - failed,
        "failed": failed,
        "by_outcome": {k: by_outcome[k] for k in _ordered(by_outcome, OUTCOME_ORDER)},
        "host_seconds": round(sum(host), 3),
        "forged": sum(r["forged"] for r in results),
        # runs whose trace the host did not keep whole (EventStream caps):
        # their verdicts were made from what was kept, and the report says so
        "incomplete": [{"id": r["id"], "notes": r["stream_notes"]}
                       for r in results if r["stream_notes"]],
    }


# ---------------------------------------------------------------- results.json

def write_json(results, path, campaign_name, summary, coverage, generated) -> None:
    doc = {"campaign": campaign_name, "generated": generated, "summary": summary,
           "coverage": coverage,
           "results": [{k: v for k, v in r.items() if k != "passed"} for r in results]}
    tmp = path + ".tmp"
    # a result a line: json's indent= takes its pure-Python encoder, which
    # took 0.1 s for the default campaign's 81 results and seconds for
    # make edfi's 2,000; one dumps() per result is the C encoder
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("{\n")
        for k, v in doc.items():
            if k != "results":
                f.write(f"{json.dumps(k)}: {json.dumps(v, default=str)},\n")
        f.write('"results": [\n')
        f.write(",\n".join(json.dumps(r, default=str) for r in doc["results"]))
        f.write("\n]}\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- junit.xml

_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(s: Any) -> str:
    """s as text XML 1.0 can hold (serial output may carry control bytes)."""
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", str(s))


def _failure_message(r: Mapping[str, Any]) -> str:
    msg = f"expected {r['expected'] or '?'}, got {r['outcome'] or '?'}"
    if r["outcome"] == r["expected"]:
        msg = f"outcome {r['outcome'] or '?'} as expected, but the result is not ok"
    if r.get("error"):
        msg += f": {r['error']}"
    return msg


def write_junit(results, path, campaign_name) -> None:
    failures = sum(1 for r in results if not r["passed"])
    total_time = sum(r["host_seconds"] or 0.0 for r in results)
    suites = ET.Element("testsuites", name=_xml_text(campaign_name),
                        tests=str(len(results)), failures=str(failures),
                        errors="0", time=f"{total_time:.3f}")
    suite = ET.SubElement(suites, "testsuite", name=_xml_text(campaign_name),
                          tests=str(len(results)), failures=str(failures),
                          errors="0", skipped="0", time=f"{total_time:.3f}")
    for r in results:
        case = ET.SubElement(
            suite, "testcase",
            classname=_xml_text(f"{campaign_name}.{r['service'] or '?'}.{r['fault'] or '?'}"),
            name=_xml_text(r["id"]), time=f"{r['host_seconds'] or 0.0:.3f}")
        props = ET.SubElement(case, "properties")
        for k in ("service", "fault", "site", "trigger", "expected", "outcome",
                  "detect_virtual_us", "recover_virtual_us", "detect_host_s",
                  "recover_host_s"):
            if r.get(k) not in (None, ""):
                ET.SubElement(props, "property", name=k, value=_xml_text(r[k]))
        if not r["passed"]:
            fail = ET.SubElement(case, "failure", type="error" if r.get("error") else "outcome",
                                 message=_xml_text(_failure_message(r)))
            fail.text = _xml_text("\n".join(r["events"][-EVENT_TAIL:]))
        out = []
        if r.get("replay"):
            out.append(f"replay: {r['replay']}")
        out.extend(r["events"])
        if out:
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(out))
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


# ---------------------------------------------------------------- plots

def _series(results, fault, key, scale=1.0):
    return [v * scale for r in results if r["fault"] == fault
            for v in [r[key]] if v is not None]


def _safe_name(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", s) or "_"


def _write_svg(out_dir: str, fname: str, svg: str) -> None:
    with open(os.path.join(out_dir, fname), "w", encoding="utf-8", newline="\n") as f:
        f.write(svg)


def write_plots(results, out_dir, faults) -> List[Dict[str, Any]]:
    """One SVG per fault type with timing data (+ an overview); returns
    [{"fault", "file", "n"}] for the template (file None when no data)."""
    # PNGs too: reports from before the SVG plots would otherwise keep them
    for ext in ("png", "svg"):
        for old in glob.glob(os.path.join(out_dir, f"{PLOT_PREFIX}*.{ext}")):
            os.remove(old)
    rng = random.Random(0)  # jitter only; fixed so reports are reproducible
    plots = []
    colors = ["#1565c0", "#2e7d32"]
    for fault in faults:
        dv = _series(results, fault, "detect_virtual_us", 1e-3)
        rv = _series(results, fault, "recover_virtual_us", 1e-3)
        dh = _series(results, fault, "detect_host_s")
        rh = _series(results, fault, "recover_host_s")
        n = sum(1 for r in results if r["fault"] == fault)
        if not (dv or rv or dh or rh):
            plots.append({"fault": fault, "file": None, "n": n})
            continue
        svg = svgplot.figure(800, 320, [
            svgplot.Panel([dv, rv], ["detect", "recover"], colors,
                          "guest virtual time", "virtual time (ms)"),
            svgplot.Panel([dh, rh], ["detect", "recover"], colors,
                          "host wall-clock time", "host time (s)"),
        ], title=f"{fault}: time to detect and recover ({n} experiments)", rng=rng)
        fname = f"{PLOT_PREFIX}{_safe_name(fault)}.svg"
        _write_svg(out_dir, fname, svg)
        plots.append({"fault": fault, "file": fname, "n": n})
    with_data = [f for f in faults if _series(results, f, "recover_virtual_us")]
    if len(with_data) > 1:
        groups = [_series(results, f, "recover_virtual_us", 1e-3) for f in with_data]
        svg = svgplot.figure(round(100 * max(5, 1.1 * len(with_data) + 2)), 350, [
            svgplot.Panel(groups, with_data, ["#455a64"] * len(groups),
                          "", "virtual time to recover (ms)"),
        ], title="recovery time by fault type", rng=rng)
        fname = f"{PLOT_PREFIX}overview.svg"
        _write_svg(out_dir, fname, svg)
        plots.insert(0, {"fault": "all fault types", "file": fname,
                         "n": sum(1 for r in results if r["fault"] in with_data)})
    return plots


# ---------------------------------------------------------------- survivability

def analyse_survival(results) -> Dict[str, Any]:
    """The survivability analysis of the campaign (reports/survival.py), in
    the report's fault and outcome order; plain data, for results.json too."""
    sigs = survival.failure_signatures(results, examples=SIGNATURE_EXAMPLES,
                                       outcome_order=OUTCOME_ORDER)
    return {
        "table": survival.survival_table(results, FAULT_ORDER, OUTCOME_ORDER),
        "fail_stop_split": survival.failstop_split(results, OUTCOME_ORDER),
        "signatures": sigs,
        # the verdict's own set: the signatures' divergences were found with it
        "normal_event_kinds": sorted(NORMAL_KINDS),
    }


def attach_reproducers(signatures, out_dir: str, results) -> None:
    """Each signature's minimal reproducer (python3 -m campaigns minimize,
    kept in out_dir's minimized.json by campaigns/reproducers.py) as its
    "reproducer", or None; "stale" when it was shrunk on another build or
    spec than these results were run on (their fingerprint)."""
    from campaigns import reproducers
    entries = reproducers.load(out_dir)
    builds = {r.get("build") for r in results if r.get("build")}
    for g in signatures:
        e = reproducers.for_signature(entries, g["outcome"], g["event"], g["function"])
        g["reproducer"] = None if e is None else {
            "line": e["minimal"]["line"], "id": e["minimal"]["id"], "gdb": e["gdb"],
            "from": e["from"]["id"], "trigger": [e["from"]["trigger"], e["minimal"]["trigger"]],
            "load": [e["from"]["load"], e["minimal"]["load"]],
            "steps": [e["from"]["step_count"], e["minimal"]["step_count"]],
            "runs": e["runs"], "identical": bool(e["replays"]["identical"]),
            "note": e.get("note"), "stale": bool(builds) and e.get("build") not in builds}


def timeline_file(exp_id: str) -> str:
    """The timeline's file name: the id made safe, plus a hash of the id
    itself, since two ids can be made safe into the same text."""
    return f"{TIMELINE_PREFIX}{_safe_name(exp_id)}-{zlib.crc32(exp_id.encode()):08x}.svg"


def write_timelines(results, out_dir, signatures) -> List[Dict[str, Any]]:
    """The timeline SVGs of the failures and of the slowest recoveries;
    returns [{"id", "file", "anchor", "outcome", "reasons", "note"}] in the
    order they are shown (note: why a picture has no marks, or None)."""
    for old in glob.glob(os.path.join(out_dir, f"{TIMELINE_PREFIX}*.svg")):
        os.remove(old)
    drawn = []
    for i, pick in enumerate(survival.pick_timelines(results, signatures, TIMELINES_FAILED,
                                                     TIMELINES_SLOWEST)):
        r = pick["record"]
        fname = timeline_file(r["id"])
        tl = survival.timeline(r)
        _write_svg(out_dir, fname, timeline.draw(tl))
        drawn.append({"id": r["id"], "file": fname, "anchor": f"tl-{i + 1}",
                      "outcome": r["outcome"] or "none", "reasons": pick["reasons"],
                      "note": tl["note"]})
    return drawn


def _pct(x: Optional[float]) -> str:
    """A share as a percentage: whole percents, one decimal below 10 % so a
    rare outcome does not read as 0."""
    if x is None:
        return "–"
    v = 100 * x
    return f"{v:.1f}" if 0 < v < 10 else f"{v:.0f}"


# ---------------------------------------------------------------- index.html

def _matrix(results, services, faults):
    rows = []
    for svc in services:
        cells = []
        for fault in faults:
            rs = [r for r in results if r["service"] == svc and r["fault"] == fault]
            counts: Dict[str, int] = {}
            for r in rs:
                counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
            bad = sum(1 for r in rs if not r["passed"])
            cls = "empty" if not rs else "ok" if bad == 0 else "bad" if bad == len(rs) else "mixed"
            cells.append({
                "fault": fault, "total": len(rs), "bad": bad, "cls": cls,
                "counts": [(o or "none", counts[o], OUTCOME_COLORS.get(o, OTHER_COLOR))
                           for o in _ordered(counts, OUTCOME_ORDER)],
            })
        rows.append({"service": svc, "cells": cells})
    return rows


def _coverage_rows(coverage):
    rows = []
    for comp, vals in coverage.items():
        if comp in ("html", "activation") or not isinstance(vals, Mapping):
            continue
        rows.append({"component": comp, "lines": _num(vals.get("lines")),
                     "branches": _num(vals.get("branches"))})
    return rows


def _ms(us):
    return None if us is None else us / 1000.0


def render_html(results, campaign_name, summary, plots, coverage, generated,
                surv=None, timelines=(), comparison=None) -> str:
    import jinja2
    import markupsafe
    # the compiled template is kept (jinja's per-user cache in the temp
    # dir, keyed by the template's text): compiling it took 0.1 s a report
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=jinja2.FileSystemBytecodeCache())
    env.filters["ms"] = _ms
    env.filters["num"] = lambda x, fmt="%.3f": "–" if x is None else fmt % x
    env.filters["pct"] = _pct
    # long outcome names may wrap after an underscore, so the tables fit a screen
    env.filters["wrap_"] = lambda x: markupsafe.Markup(
        str(markupsafe.escape(x)).replace("_", "_<wbr>"))
    services = sorted({r["service"] for r in results})
    faults = _ordered((r["fault"] for r in results), FAULT_ORDER)
    timed = [r for r in results if r["host_seconds"] is not None]
    slowest = sorted(timed, key=lambda r: -r["host_seconds"])[:SLOWEST]
    failed = [r for r in results if not r["passed"]]
    surv = surv if surv is not None else analyse_survival(results)
    return env.get_template("index.html").render(
        campaign=campaign_name, generated=generated, summary=summary,
        services=services, faults=faults, matrix=_matrix(results, services, faults),
        outcome_colors=OUTCOME_COLORS, other_color=OTHER_COLOR,
        plots=plots, slowest=slowest, failed=failed, results=results,
        event_tail=EVENT_TAIL,
        coverage=coverage, coverage_rows=_coverage_rows(coverage) if coverage else [],
        coverage_html=(coverage or {}).get("html"),
        activation=(coverage or {}).get("activation") or [],
        survival=surv, timelines=list(timelines),
        timeline_of={t["id"]: t for t in timelines},
        fail_stop_faults=sorted(survival.FAIL_STOP_FAULTS),
        comparison=comparison,
    )


# a baseline placed in the report directory is compared with every rebuild
BASELINE_FILE = "baseline.json"


def comparison_with(baseline: Optional[str], out_dir: str, results) -> Optional[Dict[str, Any]]:
    """The comparison with a baseline (reports/compare.py) for the page:
    the one named, else out_dir/baseline.json when there is one, else None.
    {"name", "result"}; ValueError when a named one cannot be read."""
    from reports import compare
    path = baseline or os.path.join(out_dir, BASELINE_FILE)
    if not baseline and not os.path.exists(path):
        return None
    _, base = compare.load(path)
    return {"name": path, "result": compare.compare(base, results)}


def write_report(results: Iterable[Mapping[str, Any]], out_dir: str, campaign_name: str,
                 coverage: Optional[Mapping[str, Any]] = None,
                 baseline: Optional[str] = None) -> Dict[str, Any]:
    """Write results.json, junit.xml, index.html and the plots into out_dir.

    `coverage`, when given, is {component: {"lines": pct, "branches": pct},
    ..., "html": "coverage/index.html"} (the link is relative to out_dir).
    `baseline` names a campaign to compare with (reports/compare.py; by
    default out_dir/baseline.json if present): a section of the page.
    Returns the paths written: {"json", "junit", "html", "plots": [...],
    "timelines": [...]}.
    """
    os.makedirs(out_dir, exist_ok=True)
    rs = [normalize(r) for r in results]
    summary = summarize(rs)
    surv = analyse_survival(rs)
    attach_reproducers(surv["signatures"], out_dir, rs)
    timelines = write_timelines(rs, out_dir, surv["signatures"])
    summary["survival"] = dict(surv, timelines=timelines)
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    cov = dict(coverage) if coverage else None
    if cov is not None:
        # the coverage report's section on fault sites (reports/activation.py)
        cov["activation"] = activation.by_component(activation.activation(rs))
    paths = {"json": os.path.join(out_dir, "results.json"),
             "junit": os.path.join(out_dir, "junit.xml"),
             "html": os.path.join(out_dir, "index.html")}
    write_json(rs, paths["json"], campaign_name, summary, cov, generated)
    write_junit(rs, paths["junit"], campaign_name)
    faults = _ordered((r["fault"] for r in rs), FAULT_ORDER)
    plots = write_plots(rs, out_dir, faults)
    comparison = comparison_with(baseline, out_dir, rs)
    html = render_html(rs, campaign_name, summary, plots, cov, generated, surv, timelines,
                       comparison)
    with open(paths["html"], "w", encoding="utf-8") as f:
        f.write(html)
    paths["plots"] = [os.path.join(out_dir, p["file"]) for p in plots if p["file"]]
    paths["timelines"] = [os.path.join(out_dir, t["file"]) for t in timelines]
    return paths
