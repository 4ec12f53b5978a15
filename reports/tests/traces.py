# Result records for the survivability tests, as the runner and the verdict
# write them: the synthetic traces of campaigns/tests/synthetic.py (a
# recovered crash, wrong answers, a kernel panic, a hang, RS giving up, lost
# state, a live update) with the evidence campaigns.verdict.evidence_of finds
# in them, so the report's tests go through the verdict's real rules; and a
# campaign of such records with EDFI-style faults at @address sites next to
# old fail-stop ones.

from types import SimpleNamespace
from typing import Dict, List

from campaigns import verdict
from campaigns.tests.synthetic import (  # noqa: F401  (the tests use them as T.*)
    _head, _tail, ev, fired, given_up, hung, kernel_panic, live_update, recovered,
    state_lost, wrong_answers)


def evidence(service: str, fault: str, site, events: List[str]) -> Dict:
    """What the verdict finds in these event lines (unparsable ones skipped,
    as the verdict skips them)."""
    exp = SimpleNamespace(service=service, fault=fault, site=site)
    return verdict.evidence_of(exp, verdict.Trace.from_lines(events).events)


def record(id_: str, service: str, fault: str, outcome: str, events: List[str],
           expected: str = "benign,recovered", **kw) -> Dict:
    """A result record as the runner and verdict write it (campaigns/result.py)."""
    r = {"id": id_, "service": service, "fault": fault, "site": None, "trigger": "nth:1",
         "expected": expected, "policy": None, "outcome": outcome, "why": f"synthetic {outcome}",
         "armed": True, "activated": outcome != "not_activated",
         "manifested": outcome not in ("benign", "not_activated"),
         "detect_virtual_us": None, "recover_virtual_us": None, "events": events,
         "counts": {}, "host_seconds": 1.5, "replay": f"make campaign ONLY={id_}",
         "error": None, "end": "halt"}
    r.update(kw)
    if "evidence" not in kw:      # evidence=None: a record from before the verdict kept it
        r["evidence"] = evidence(service, fault, r["site"], events or [])
    r["ok"] = outcome in r["expected"].split(",") if "ok" not in kw else kw["ok"]
    return r


def edfi_campaign() -> List[Dict]:
    """A campaign mixing old fail-stop faults and EDFI-style ones, with every
    interesting outcome class; ids are unique."""
    rs = []
    for i in range(4):
        rs.append(record(f"kv-crash-nth:{i + 1}", "kv", "crash", "recovered", recovered(),
                         expected="recovered", site="kv.put", detect_virtual_us=30,
                         recover_virtual_us=900 + 100 * i))
    rs.append(record("kv-crash-nth:9-policy=restart", "kv", "crash", "given_up", given_up(),
                     expected="recovered", site="kv.put", policy="restart",
                     detect_virtual_us=30))
    for i in range(3):
        rs.append(record(f"kv-flip_branch-site=@8049a1c-nth:{i + 1}", "kv", "flip_branch",
                         "wrong_answers", wrong_answers(), site="@8049a1c",
                         site_function="kv_get"))
    rs.append(record("kv-flip_branch-site=@8049b00-nth:1", "kv", "flip_branch",
                     "wrong_answers", wrong_answers(site="@8049b00"), site="@8049b00",
                     site_function="kv_put"))
    rs.append(record("kv-null_ptr-site=@8049a20-nth:1", "kv", "null_ptr", "recovered",
                     recovered(fault="null_ptr", site="@8049a20"), site="@8049a20",
                     site_function="kv_get", detect_virtual_us=25, recover_virtual_us=5000))
    rs.append(record("echo-null_ptr-site=@804b010-nth:1", "echo", "null_ptr", "client_hung",
                     hung(), site="@804b010", site_function="echo_reply",
                     detect_virtual_us=25, recover_virtual_us=700, end="deadline"))
    rs.append(record("kernel-corrupt_ptr-site=@c0104a2f-nth:1", "kernel", "corrupt_ptr",
                     "kernel_panic", kernel_panic(), site="@c0104a2f",
                     site_function="do_ipc", end="panic"))
    rs.append(record("kv-no_store-site=@8049c40-nth:1", "kv", "no_store",
                     "recovered_state_lost", state_lost(), site="@8049c40",
                     site_function="kv_put", detect_virtual_us=30, recover_virtual_us=900))
    rs.append(record("kv-stuck_loop-site=@8049d00-nth:1", "kv", "stuck_loop", "recovered",
                     recovered(fault="stuck_loop", site="@8049d00"), site="@8049d00",
                     site_function="kv_scan", detect_virtual_us=150000,
                     recover_virtual_us=150900))
    rs.append(record("ds-skip_insn-site=@8050100-nth:1", "ds", "skip_insn", "benign",
                     _head(21000) + [fired(21000, "ds", "skip_insn", "@8050100")] +
                     _tail(30000, svc="ds"), site="@8050100", site_function="ds_lookup"))
    rs.append(record("pm-corrupt_int-site=@8051000-nth:5", "pm", "corrupt_int",
                     "not_activated", _head(21000) + _tail(30000, svc="pm"),
                     site="@8051000", site_function="pm_fork"))
    # the kernel's IPC path, Theseus-style: an error at a kipc. hand site
    rs.append(record("kernel-error-site=kipc.send-nth:1", "kernel", "error", "benign",
                     _head(21000) + [fired(21000, "kernel", "error", "kipc.send")] +
                     _tail(30000), site="kipc.send"))
    # as the spec expected, but not survived
    rs.append(record("kv-init_fail-nth:1", "kv", "init_fail", "halted",
                     _head(17000) + [fired(17000, "kv", "init_fail", "sef.init"),
                                     ev(17012, "rs", "init_result", label="kv", ep=7,
                                        type="fresh", result=-22),
                                     ev(17024, "rs", "panic", reason='"boot service failed"',
                                        proc="kv")],
                     expected="halted", end="panic"))
    rs.append(record("kv-lu_ok-nth:1", "kv", "lu_ok", "recovered", live_update(),
                     expected="recovered", armed=False, activated=False,
                     detect_virtual_us=0, recover_virtual_us=2500))
    return rs
