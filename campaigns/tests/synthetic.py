# Synthetic guest traces, event lines shaped like the guest's
# (contract/events.def): a recovered crash, wrong answers, a kernel panic, a
# hang at the deadline, RS giving up, lost state and a live update. They live
# here, beside the rules they exercise (campaigns/evidence.py, verdict.py),
# so campaigns' tests need nothing from reports/; reports/tests/traces.py
# builds its result records on them.

from typing import List


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
    return ev(t, "kernel", "fi_fired", slot=0, site=site, type=fault, proc=svc, ep=7, fired=1,
              via="int3" if site.startswith("@") else "call")


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


def kernel_contained(fate="efault", t0=30000, wrong=0) -> List[str]:
    """A corrupted pointer in a kernel call's path: the kernel faults, fails
    that call (os/kernel/contain.c) and serves on."""
    return _head(t0) + [
        fired(t0, "kernel", "corrupt_ptr", "user_range_ok#2"),
        ev(t0 + 1, "kernel", "fi_effect", slot=0, type="corrupt_ptr", proc="kernel",
           pc="0x105066", what="pointer", before="0x1015cadc", after="0x1015cadc"),
        ev(t0 + 3, "kernel", "kcall_contained", proc="kv", ep=7, call="kcall:-1", trap=14,
           what='"page fault"', pc="0x105066", addr="0x1015cadc", fate=fate),
        ev(t0 + 9000, "scenario", "wl_done", target="kv", answered=100, retried=0, wrong=wrong,
           stale=0, lost=0, verified=0, rebinds=0),
    ] + _tail(t0 + 700000)


def kernel_repaired(by="audit", t0=30000, wrong=0) -> List[str]:
    """A skipped instruction in the scheduler's bookkeeping left a runnable
    process in no run queue; the kernel's audit rebuilt the queues from the
    process table (os/kernel/sched_repair.c) and the system serves on."""
    return _head(t0) + [
        fired(t0, "kernel", "skip_insn", "clear_rts#3"),
        ev(t0 + 1, "kernel", "fi_effect", slot=0, type="skip_insn", proc="kernel",
           pc="0x107060", what="skipped", before="0x107060", after="0x107067"),
        ev(t0 + 5000, "kernel", "kernel_repaired", what="run_queues", by=by, missing=1, stray=0,
           links=0, tails=0, woken=0),
        ev(t0 + 9000, "scenario", "wl_done", target="kv", answered=100, retried=0, wrong=wrong,
           stale=0, lost=0, verified=0, rebinds=0),
    ] + _tail(t0 + 700000)


def kernel_repaired_other(what, t0=30000, **fields) -> List[str]:
    """The kernel's tick audit repaired something other than the run
    queues (os/kernel/priv_audit.c, alarm_audit.c, sched_repair.c's lost
    IPC block) and the system serves on."""
    return _head(t0) + [
        fired(t0, "kernel", "corrupt_int", "may_send_to#0"),
        ev(t0 + 1, "kernel", "fi_effect", slot=0, type="corrupt_int", proc="kernel",
           pc="0x106df4", what="memory", before="0x16035c", after="0x36035c"),
        ev(t0 + 5000, "kernel", "kernel_repaired", what=what, by="audit", **fields),
        ev(t0 + 9000, "scenario", "wl_done", target="kv", answered=100, retried=0, wrong=0,
           stale=0, lost=0, verified=0, rebinds=0),
    ] + _tail(t0 + 700000)


def kernel_unsafe(t0=30000) -> List[str]:
    """The same fault, but the kernel's consistency check finds it broken."""
    return _head(t0) + [
        fired(t0, "kernel", "corrupt_ptr", "user_range_ok#2"),
        ev(t0 + 9, "kernel", "panic", reason='"kernel unsafe after a fault in kernel call -1 '
                                             'of kv at pc=0x105066 (page fault): run queue tail"'),
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
