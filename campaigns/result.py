"""One description of an experiment's result, FAIL*-style: every field a
result record carries (journal, results.json, the report), what it means,
who fills it, and the one decision of whether it came out as required.
The runner builds records to this description, the report reads them by
it, and tests hold both to it (tests/test_result_format.py)."""

from typing import Any, Dict, Mapping

# field -> (who fills it, what it means)
FIELDS: Dict[str, tuple] = {
    # the experiment (spec_model.Experiment.as_dict)
    "id": ("spec", "the experiment's id, as ONLY= and the replay command name it"),
    "service": ("spec", "the service the fault is aimed at"),
    "fault": ("spec", "fault type (contract/guest_host.def), or lu_ok"),
    "site": ("spec", "fault site, None for the fault's default site"),
    "trigger": ("spec", "nth:N, times:K or prob:P"),
    "expected": ("spec", "the outcomes required, comma-separated"),
    "mode": ("spec", "boot or dynamic"),
    "arg": ("spec", "the fault's parameter (SPEC_FORMAT.md)"),
    "workload": ("spec", "the victim the client drives"),
    "policy": ("spec", "the recovery policy RS runs the service with"),
    "seed": ("spec", "seed of probability triggers"),
    "timeout": ("spec", "virtual seconds the run may take"),
    "period": ("spec", "RS heartbeat period, ticks"),
    "steps": ("spec", "the scenario's steps as the line gave them, None for the planned ones"),
    "params": ("spec", "extra keys a caller allowed"),
    # how it was run (campaigns/runner.py)
    "replay": ("runner", "the command that runs this experiment alone"),
    "site_function": ("runner", "an automatic site's function (from the ELF), else None"),
    "site_location": ("runner", "an automatic site's file:line (from the ELF), else None"),
    "site_address": ("runner", "an automatic site's address in the build that ran (@HEX)"),
    "scenario": ("runner", "the steps the guest ran"),
    "armed_slots": ("runner", "the faults written into the fault table"),
    "deadline_ms": ("runner", "the virtual-time limit of the run"),
    "restored": ("runner", "run on a machine restored at the plan point"),
    "events": ("runner", "the trace: every event line, without the frame"),
    "event_host_t": ("runner", "host seconds from the start at which each arrived"),
    "end": ("runner", "how QEMU ended: halt, panic, deadline, reset, timeout"),
    "error": ("runner", "a harness problem, never the system's failure"),
    "host_seconds": ("runner", "host time of the whole experiment"),
    "phases": ("runner", "host seconds per phase: start, restore, arm, run, verdict"),
    "virtual_us": ("runner", "virtual time at the last event"),
    "forged": ("runner", "user output lines that looked like events"),
    "forged_lines": ("runner", "the first of them"),
    "malformed": ("runner", "framed lines refused as malformed (the first of them)"),
    "stream_notes": ("runner", "what the host's event stream did not keep of the run (over its "
                               "caps, a line cut by the end), in words; empty: all kept"),
    "host": ("runner", "the machine that ran it (its host name)"),
    "coverage": ("runner", "a coverage run: what its counter dumps gave (files, dumps, any "
                           "lost), else None"),
    "build": ("engine", "fingerprint of build, harness, contract, QEMU version and spec"),
    "attempts": ("engine", "runs it took: a harness error or a dead worker is run once more"),
    "retry_causes": ("engine", "why each earlier attempt was not kept"),
    # the verdict (campaigns/verdict.py), from the trace alone
    "outcome": ("verdict", "the outcome class (verdict.OUTCOMES)"),
    "why": ("verdict", "why, in words"),
    "armed": ("verdict", "a fault was armed"),
    "activated": ("verdict", "it fired"),
    "manifested": ("verdict", "it had a visible effect"),
    "detect_virtual_us": ("verdict", "fault fired -> RS noticed, virtual"),
    "recover_virtual_us": ("verdict", "fault fired -> serving again, virtual"),
    "detect_host_s": ("verdict", "the same, host seconds"),
    "recover_host_s": ("verdict", "the same, host seconds"),
    "counts": ("verdict", "what the workload client saw: answered, wrong, stale, gone, lost, "
                          "..., and the same per victim (by_target)"),
    "evidence": ("verdict", "what the verdict rests on: fired, detected, restarted, serving "
                            "(index, kind, t, event), first divergence, timeline marks"),
    "ok": ("result", "came out as required: passed(outcome, expected)"),
}


def passed(outcome: Any, expected: Any) -> bool:
    """The one decision: an outcome is as required when it is one of the
    expected ones."""
    return str(outcome) in str(expected or "").split(",")


def judge(result: Dict[str, Any]) -> Dict[str, Any]:
    """Set result["ok"] from its outcome and expectation; returns it."""
    result["ok"] = passed(result.get("outcome"), result.get("expected"))
    return result


def unknown_fields(result: Mapping[str, Any]) -> list:
    return sorted(k for k in result if k not in FIELDS and k != "reused")
