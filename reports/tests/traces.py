# Synthetic traces and result records for the survivability tests: event
# lines shaped like the guest's (contract/events.def), for a recovered crash,
# wrong answers, a kernel panic, a hang at the deadline, RS giving up, lost
# state, and a live update, and records around them with EDFI-style faults
# at @address sites next to old fail-stop ones.

from typing import Dict, List


def ev(t: int, who: str, kind: str, **fields) -> str:
    return f"#EV t={t} who={who} ev={kind}" + "".join(f" {k}={v}" for k, v in fields.items())


def _head(t0: int) -> List[str]:
    return [ev(t0 - 300, "scenario", "sc_start", steps=4),
            ev(t0 - 200, "scenario", "sc_step", n=1, do="kv:100")]


def _tail(t: int, probe_state: str = "ok", svc: str = "kv") -> List[str]:
    return [ev(t, "scenario", "sc_probe", label=svc, result=0, answer=0, state=probe_state),
            ev(t + 10, "scenario", "sc_done", steps=4),
            ev(t + 14, "kernel", "shutdown", how="halt", by="scenario"),
            ev(t + 17, "kernel", "off", code="0x10")]


def fired(t: int, svc: str, fault: str, site: str) -> str:
    return ev(t, "kernel", "fi_fired", slot=0, site=site, type=fault, proc=svc, ep=7, fired=1)


def recovered(svc="kv", fault="crash", site="kv.put", t0=21000) -> List[str]:
    """Crash, RS notices at +30, restarts at +700, back at +900; the client
    rebinds and retries once."""
    return _head(t0) + [
        fired(t0, svc, fault, site),
        ev(t0 + 8, "kernel", "fault", proc=svc, ep=7, trap=14, what='"page fault"',
           pc="0x40003090", addr="0x0"),
        ev(t0 + 13, "kernel", "signal", proc=svc, ep=7, sig=11, mgr="rs"),
        ev(t0 + 30, "rs", "died", label=svc, ep=7, sigmap="0x800", how="signal"),
        ev(t0 + 66, "rs", "restart_scheduled", label=svc, cause="crash", delay=0, streak=1,
           stage="restart"),
        ev(t0 + 640, "kernel", "exec", proc=svc, ep=32775),
        ev(t0 + 700, "rs", "restarted", label=svc, ep=32775, old_ep=7, restarts=1,
           policy="reset", result=0, init="restart"),
        ev(t0 + 860, "kv", "kv_restored", keys=59, type=2, layout="KV01"),
        ev(t0 + 900, "rs", "init_result", label=svc, ep=32775, type="restart", result=0),
        ev(t0 + 9000, "scenario", "wl_rebind", target=svc, old=7, new=32775),
        ev(t0 + 10200, "scenario", "wl_done", target=svc, answered=100, retried=1, wrong=0,
           stale=0, lost=0, verified=0, rebinds=1),
    ] + _tail(t0 + 700000, svc=svc)


def wrong_answers(svc="kv", fault="flip_branch", site="@8049a1c", t0=21000) -> List[str]:
    """The fault corrupts silently: no detection, the client reads wrong values."""
    return _head(t0) + [
        fired(t0, svc, fault, site),
        ev(t0 + 2, "kernel", "fi_effect", slot=0, type=fault, proc=svc, pc="0x8049a1c",
           what="branch", before=1, after=0),
        ev(t0 + 400, "scenario", "wl_wrong", target=svc, key=3, want=7, got=9, during="get"),
        ev(t0 + 900, "scenario", "wl_done", target=svc, answered=100, retried=0, wrong=2,
           stale=0, lost=0, verified=0, rebinds=0),
    ] + _tail(t0 + 5000, svc=svc)


def kernel_panic(site="@c0104a2f", fault="corrupt_ptr", t0=30000) -> List[str]:
    return _head(t0) + [
        fired(t0, "kernel", fault, site),
        ev(t0 + 5, "kernel", "fault", proc="kernel", ep=-1, trap=14, what='"page fault"',
           pc="0xc0104a2f", addr="0x40"),
        ev(t0 + 9, "kernel", "panic", reason='"page fault in kernel"'),
        ev(t0 + 12, "kernel", "shutdown", how="panic", by="kernel"),
        ev(t0 + 15, "kernel", "off", code="0x11"),
    ]


def hung(svc="echo", fault="null_ptr", site="@804b010", t0=20500) -> List[str]:
    """The service dies, comes back, but the client waits on it for ever."""
    return _head(t0) + [
        fired(t0, svc, fault, site),
        ev(t0 + 7, "kernel", "fault", proc=svc, ep=8, trap=14, what='"page fault"',
           pc="0x804b010", addr="0x0"),
        ev(t0 + 25, "rs", "died", label=svc, ep=8, sigmap="0x800", how="signal"),
        ev(t0 + 600, "rs", "restarted", label=svc, ep=8, old_ep=8, restarts=1,
           policy="restart", result=0, init="restart"),
        ev(t0 + 700, "rs", "init_result", label=svc, ep=8, type="restart", result=0),
        ev(2000000, "kernel", "deadline", ticks=200),
        ev(2000001, "kernel", "stuck", proc="scenario", ep=9, rts="0x4", sendto=svc,
           getfrom="-"),
        ev(2000002, "kernel", "stuck", proc="rs", ep=0, rts="0x8", sendto="-", getfrom="any"),
    ]


def given_up(svc="kv", t0=21000) -> List[str]:
    lines = _head(t0) + [fired(t0, svc, "crash", "kv.put")]
    for i in range(3):
        t = t0 + 1000 * i
        lines += [ev(t + 30, "rs", "died", label=svc, ep=7, sigmap="0x800", how="signal"),
                  ev(t + 700, "rs", "restarted", label=svc, ep=7, old_ep=7, restarts=i + 1,
                     policy="restart", result=0, init="restart")]
    lines += [ev(t0 + 3030, "rs", "died", label=svc, ep=7, sigmap="0x800", how="signal"),
              ev(t0 + 3040, "rs", "escalate", label=svc, cause="intensity", **{"from": "restart"},
                 to="giveup", restarts_in_window=4, window=10),
              ev(t0 + 3050, "rs", "given_up", label=svc, cause="crash", restarts=3)]
    return lines + _tail(t0 + 9000, probe_state="down", svc=svc)


def state_lost(svc="kv", fault="no_store", site="@8049c40", t0=21000) -> List[str]:
    lines = recovered(svc, fault, site, t0)
    return [ln.replace("state=ok", "state=lost") if "sc_probe" in ln else ln for ln in lines]


def live_update(svc="kv", t0=40000) -> List[str]:
    return _head(t0) + [
        ev(t0, "rs", "update_requested", label=svc, state=1, maxtime=100),
        ev(t0 + 50, "kv", "sef_lu_ready", state=1, result=0),
        ev(t0 + 2500, "rs", "update_done", label=svc, ep=7),
    ] + _tail(t0 + 9000, svc=svc)


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
