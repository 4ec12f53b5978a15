"""The verdict of one experiment: a pure function of its recorded trace.

The runner only produces the trace (the guest's event lines, how QEMU
ended, and a harness error if the host could not run the experiment); the
outcome, the why, and the timings are computed here, by `classify`, which
the runner, the report and the unit tests all use. Nothing here looks at a
host clock: host timings are read from the arrival times the trace holds.

Outcome classes (each experiment also records armed / activated /
manifested; campaigns/SPEC_FORMAT.md defines each for users):

  not_activated         the armed fault never fired, nothing went wrong
  benign                it fired and nothing visible followed
  recovered             RS detected it (or the kernel contained it in a
                        kernel call's path: kcall_contained, or repaired
                        its run queues: kernel_repaired), and
                        afterwards every answer was right and all state
                        was kept
  rolled_back           an update was refused or failed and was undone:
                        the old version serves with every acknowledged
                        write, and RS answered the update with an error
  wrong_answers         a client got an answer that was wrong: a value
                        nobody wrote, or (transient) an earlier or missing
                        value while the service still held the right one,
                        or a service's report (a step's, RS's answer)
                        that was missing, garbled or untrue
  state_lost            acknowledged state is gone for good, and nothing
                        was recovered (no restart or update happened)
  recovered_state_lost  served again after a restart or update, but
                        acknowledged state is gone for good
  client_hung           a client got no answer, or a service stayed down
  torn_down             a dynamic service whose init failed is down for good
  halted                RS panicked and halted the machine
  given_up              RS gave up restarting a service
  kernel_panic          the kernel panicked
  system_hang           the virtual-time limit passed with nothing moving
  harness_error         the host could not run the experiment (not the OS's fault)

The verdict carries its evidence (campaigns/evidence.py): the events it
took as the fault firing, RS's detection, the restart and the service
serving again, the first divergence from a normal recovery, and the
timeline marks. The report renders that and nothing else.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

from faultinj import exitcodes
from faultinj.events import Event, parse_recorded

from . import evidence as evi
from .evidence import DETECT

OUTCOMES = ("not_activated", "benign", "recovered", "rolled_back", "wrong_answers",
            "state_lost", "recovered_state_lost", "client_hung", "torn_down", "halted",
            "given_up", "kernel_panic", "system_hang", "harness_error")

# how QEMU ended (faultinj.exitcodes outcome names)
END_HALT, END_PANIC, END_DEADLINE = "halt", "panic", "deadline"

# the report each kind of scenario step owes (os/commands/scenario/main.c):
# a step that began and ended without it did not report
STEP_REPORT = {"kv": "wl_done", "echo": "wl_done", "verify": "sc_verify", "probe": "sc_probe",
               "gcov": "sc_gcov", "update": "sc_service", "down": "sc_service",
               "up": "sc_service", "restart": "sc_service", "refresh": "sc_service",
               "period": "sc_service"}
# an update aborted because the old version itself died or hung while it
# prepared: that is a failure recovered (the old version restarted), not an
# update undone
PREPARE_DIED = ("crashed-while-preparing", "hung-while-preparing", "exited-while-preparing")
# events that show a service was brought back (restarted, updated, re-adopted)
RECOVERY = ("restarted", "update_done", "update_failed", "rs_recovered", "restart_fresh")


@dataclass
class Trace:
    """What one run of the guest left behind."""
    events: List[Event]
    end: Optional[str] = None          # halt | panic | deadline | timeout | killed | error | reset
    harness_error: Optional[str] = None
    armed: bool = True                 # a fault was written to the table
    # framed lines the host refused (kind or fields not in contract/events.def)
    malformed: List[str] = field(default_factory=list)
    steps: Optional[List[str]] = None  # the plan's steps, when known

    @classmethod
    def from_lines(cls, lines: Iterable[str], host_times: Sequence[Optional[float]] = (),
                   **kw) -> "Trace":
        """lines as results and journals store events: Event.raw, without
        the serial frame (checked when the run was recorded)."""
        evs = []
        for i, line in enumerate(lines):
            ev = parse_recorded(line)
            if ev is None:
                continue
            if i < len(host_times):
                ev.host_t = host_times[i]
            evs.append(ev)
        return cls(evs, **kw)


@dataclass
class Verdict:
    outcome: str
    why: str
    armed: bool
    activated: bool
    manifested: bool
    detect_virtual_us: Optional[int] = None
    recover_virtual_us: Optional[int] = None
    detect_host_s: Optional[float] = None
    recover_host_s: Optional[float] = None
    counts: Dict[str, int] = field(default_factory=dict)
    evidence: Dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> Dict:
        return dict(self.__dict__)


def _find(events: List[Event], kinds, start: int = 0, **fields) -> Optional[int]:
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    for i in range(max(0, start), len(events)):
        e = events[i]
        if e.kind in kinds and all(e.get(k) == str(v) for k, v in fields.items()):
            return i
    return None


COUNT_KEYS = ("answered", "verified", "wrong", "stale", "gone", "lost", "retried")


def _client_counts(events: List[Event]) -> Dict[str, Any]:
    """Totals over every workload and verify step of the scenario, and the
    same per victim (by_target), so a wrong answer is laid at the door of
    the service the client saw."""
    c: Dict[str, Any] = {k: 0 for k in COUNT_KEYS}
    by: Dict[str, Dict[str, int]] = {}
    for e in events:
        if e.get("who") != "scenario" or e.kind not in ("wl_done", "sc_verify"):
            continue
        t = by.setdefault(str(e.get("target")), {k: 0 for k in COUNT_KEYS})
        # a client from before the ledger (no gone field) counted every
        # read of a missing or earlier value as stale, meaning lost state:
        # its stale is taken as gone, never as a transient answer
        legacy = "gone" not in e
        for k in COUNT_KEYS:
            if k in e:
                try:
                    n = e.int(k)
                except ValueError:
                    # the client's own report came out garbled (a fault
                    # corrupted what reached it): a wrong answer in itself
                    k, n = "wrong", 1
                if legacy and k == "stale":
                    k = "gone"
                c[k] += n
                t[k] += n
    c["by_target"] = by
    return c


def _probes(events: List[Event]) -> Dict[str, Event]:
    return {e.get("label"): e for e in events
            if e.kind == "sc_probe" and e.get("who") == "scenario"}


def _unreported(events: List[Event], steps: Optional[List[str]],
                malformed: Sequence[str]) -> Optional[str]:
    """Why the scenario's steps cannot all be trusted to have reported, or
    None: the steps it ran are not the plan's, a step that owes a report
    (STEP_REPORT) ended without one, or one reported an error."""
    sc = [i for i, e in enumerate(events) if e.get("who") == "scenario"]
    starts = [i for i in sc if events[i].kind == "sc_step"]
    done = next((i for i in sc if events[i].kind == "sc_done"), len(events))
    ran = [events[i].get("do") for i in starts]
    refused = f" ({len(malformed)} malformed lines refused, first: {malformed[0]})" \
        if malformed else ""
    if steps is not None and ran != list(steps):
        k = next((k for k, (a, b) in enumerate(zip(ran, steps)) if a != b),
                 min(len(ran), len(steps)))
        got = ran[k] if k < len(ran) else "nothing"
        want = steps[k] if k < len(steps) else "nothing"
        return f"step {k + 1} was {got}, the plan says {want}{refused}"
    for j, i in enumerate(starts):
        end = starts[j + 1] if j + 1 < len(starts) else done
        do = str(events[i].get("do"))
        err = next((k for k in range(i + 1, end) if events[k].kind == "sc_error"
                    and events[k].get("who") == "scenario"), None)
        if err is not None:
            return f"step {j + 1} ({do}) reported an error: {events[err].get('reason')}"
        want = STEP_REPORT.get(do.split(":")[0])
        if want and not any(events[k].kind == want and events[k].get("who") == "scenario"
                            for k in range(i + 1, end)):
            return f"step {j + 1} ({do}) did not report (no {want}): its answers cannot " \
                   f"be checked{refused}"
    return None


def _origin(events: List[Event], exp) -> Optional[int]:
    """The fault firing; for a plain update, the update's request."""
    start = _find(events, "fi_fired")
    if start is None and exp.fault == "lu_ok":
        start = _find(events, "update_requested", label=exp.service)
    return start


def _recovery_points(events: List[Event], exp, start: Optional[int]) -> Dict[str, Optional[int]]:
    """Indices of RS's detection, the restart and serving again, after start."""
    pts: Dict[str, Optional[int]] = {"detected": None, "restarted": None, "serving": None}
    if start is None:
        return pts
    if exp.service == "rs":
        # RS's own death is the kernel's to see; back once RS re-adopted all
        det = _find(events, "rs_died", start)
        pts["detected"] = det
        if det is not None:
            pts["restarted"] = _find(events, "rs_restarted", det)
            pts["serving"] = _find(events, "rs_recovered", det)
        return pts
    det = _find(events, DETECT, start, label=exp.service)
    if det is None and exp.fault == "lu_ok":
        det = start
    if det is None:
        return pts
    pts["detected"] = det
    pts["restarted"] = _find(events, ("restarted", "restart_fresh"), det, label=exp.service)
    for i in range(det, len(events)):
        e = events[i]
        if e.get("label") != exp.service:
            continue
        if (e.kind == "init_result" and e.get("result") == "0") or e.kind in (
                "update_aborted", "update_done") or (e.kind == "down" and i > det):
            pts["serving"] = i
            break
        if e.kind == "down" and i == det and e.get("why") == "init-failed":
            pts["serving"] = i
            break
    return pts


def _set_times(v: Verdict, events: List[Event], start: Optional[int],
               pts: Dict[str, Optional[int]]) -> None:
    if start is None or pts["detected"] is None:
        return
    t0, d = events[start], events[pts["detected"]]
    back = events[pts["serving"]] if pts["serving"] is not None else None
    if d.t is not None and t0.t is not None:
        v.detect_virtual_us = d.t - t0.t
    if d.host_t is not None and t0.host_t is not None:
        v.detect_host_s = round(d.host_t - t0.host_t, 4)
    if back is not None and back.t is not None and t0.t is not None:
        v.recover_virtual_us = back.t - t0.t
        if back.host_t is not None and t0.host_t is not None:
            v.recover_host_s = round(back.host_t - t0.host_t, 4)


def _evidence(events: List[Event], exp, start: Optional[int],
              pts: Dict[str, Optional[int]]) -> Dict[str, Any]:
    """What the verdict rests on, for the report: chosen events, the first
    divergence from a normal recovery, and the timeline's marks."""
    origin = start
    if origin is None:
        origin = next((i for i, e in enumerate(events) if e.t is not None), None)
    label, ev = evi.first_divergence(events, start if start is not None else -1)
    timed = [e for e in events if e.t is not None]
    t0 = events[origin].t if origin is not None else None
    site = exp.site or next((e.get("site") for e in events if e.kind == "fi_fired"), None)
    return {
        "fired": evi.point(events, _find(events, "fi_fired")),
        "origin": evi.point(events, origin),
        "detected": evi.point(events, pts["detected"]),
        "restarted": evi.point(events, pts["restarted"]),
        "serving": evi.point(events, pts["serving"]),
        "divergence": {"label": label, "event": ev.raw if ev is not None else None},
        "site": site,
        "fired_sites": evi.fired_sites(events),
        "marks": evi.marks(events, exp.service, origin, pts),
        "last": ({"dt": max(0, timed[-1].t - t0), "kind": timed[-1].kind}
                 if timed and t0 is not None else None),
    }


def _stuck_kind(events: List[Event]) -> str:
    """At the deadline: a client waiting on a live RS, or nothing moving."""
    stuck = {e.get("proc"): e for e in events if e.kind == "stuck"}
    rs = stuck.get("rs")
    sc = stuck.get("scenario")
    rs_idle = rs is not None and rs.get("getfrom") == "any" and rs.get("sendto") == "-"
    if sc is not None and rs_idle and (sc.get("sendto") not in ("-", "rs") or
                                       sc.get("getfrom") not in ("-", "any", "rs")):
        who = sc.get("sendto") if sc.get("sendto") != "-" else sc.get("getfrom")
        return f"client_hung:scenario waits on {who}"
    if sc is not None and rs_idle and sc.get("sendto") == "-" and sc.get("getfrom") in ("-", "clock"):
        return "client_hung:scenario still retrying"
    return "system_hang:RS not idle at the deadline" if not rs_idle else "system_hang:no progress"


def _attributed(by_target: Dict[str, Dict[str, int]], key: str) -> str:
    return ", ".join(f"{t} {n[key]}" for t, n in sorted(by_target.items()) if n.get(key))


def _update_answer(events: List[Event]) -> Optional[str]:
    """Is RS's answer to each of the scenario's updates true? Why not, or None.
    OK is true only with update_done; an error only without it."""
    for i, e in enumerate(events):
        if e.kind != "sc_service" or e.get("who") != "scenario" or e.get("op") != "update":
            continue
        svc = str(e.get("label"))
        asked = max((k for k in range(i) if events[k].kind == "sc_step"), default=0)
        done = _find(events[:i], "update_done", asked, label=svc) is not None
        ok = e.get("result") == "0"
        if ok and not done:
            return f"RS answered the update of {svc} OK, but it was never done"
        if done and not ok:
            return f"RS did the update of {svc} but answered {e.get('result')}"
    return None


def evidence_of(exp, events: List[Event]) -> Dict[str, Any]:
    """The evidence of a trace without its outcome (what classify returns
    in Verdict.evidence): for records made by other tools, and tests."""
    start = _origin(events, exp)
    return _evidence(events, exp, start, _recovery_points(events, exp, start))


def classify(exp, trace: Trace) -> Verdict:
    """The verdict of experiment `exp` (a campaigns.spec.Experiment) from its
    trace, with the evidence it rests on."""
    ev = trace.events
    fired = _find(ev, "fi_fired")
    armed = trace.armed and exp.fault != "lu_ok"
    activated = fired is not None
    v = Verdict("harness_error", "", armed, activated, False)
    v.counts = _client_counts(ev)
    start = _origin(ev, exp)
    pts = _recovery_points(ev, exp, start)
    _set_times(v, ev, start, pts)
    v.evidence = _evidence(ev, exp, start, pts)
    c = v.counts
    probes = _probes(ev)
    svc = exp.service

    def done(outcome, why, manifested=True):
        v.outcome, v.why, v.manifested = outcome, why, manifested
        return v

    if trace.harness_error:
        return done("harness_error", trace.harness_error, False)
    if trace.end == exitcodes.RESET:
        # QEMU runs with -no-reboot: the CPU reset itself (a triple fault)
        return done("kernel_panic", "the machine reset itself (triple fault): the kernel crashed")
    if trace.end == exitcodes.WATCHDOG:
        return done("system_hang", f"the machine's watchdog stopped it: the kernel took no clock "
                                   f"tick for {exitcodes.DEADMAN_S} s of virtual time")
    if trace.end == exitcodes.FATAL:
        return done("kernel_panic", "QEMU stopped the CPU in a fatal state (code run outside "
                                    "RAM, a device driven where its model asserts): the kernel "
                                    "crashed")
    if trace.end not in (END_HALT, END_PANIC, END_DEADLINE):
        return done("harness_error", f"QEMU ended with {trace.end!r}, not by the guest", False)
    kpanic = _find(ev, "panic", who="kernel")
    if kpanic is not None and str(ev[kpanic].get("reason")).startswith("kernel locked up"):
        # the kernel's lockup detector (os/kernel/lockup.c): a hang, not a crash
        return done("system_hang", str(ev[kpanic].get("reason")))
    if kpanic is not None:
        return done("kernel_panic", f"kernel panic: {ev[kpanic].get('reason')}")
    rpanic = _find(ev, "panic", who="rs")
    if rpanic is not None or trace.end == END_PANIC:
        e = ev[rpanic] if rpanic is not None else None
        why = f"RS panic: {e.get('reason')} ({e.get('proc')})" if e else "machine panicked"
        return done("halted", why)
    gu = _find(ev, "given_up")
    if gu is not None:
        return done("given_up", f"RS gave up on {ev[gu].get('label')}")
    finished = _find(ev, "sc_done") is not None
    if trace.end == END_DEADLINE or not finished:
        kind, _, why = _stuck_kind(ev).partition(":")
        return done(kind, f"virtual-time limit reached: {why}")

    # the scenario ran to its end: every step must have reported, then what
    # the clients and probes saw is judged
    missing = _unreported(ev, trace.steps, trace.malformed)
    if missing:
        return done("wrong_answers", missing)
    if exp.fault == "init_fail" and exp.mode == "dynamic":
        d = _find(ev, "down", label=svc, why="init-failed")
        if d is not None and _find(ev, "restarted", d, label=svc) is None \
                and (svc not in probes or probes[svc].get("state") == "down"):
            return done("torn_down", "init failed: service down, not restarted")
    by = c["by_target"]
    if c["wrong"]:
        return done("wrong_answers", f"clients got wrong answers (values nobody wrote) from "
                                     f"{_attributed(by, 'wrong')}")
    down = sorted(k for k, p in probes.items() if p.get("state") == "down"
                  and not (k == svc and exp.mode == "dynamic" and exp.fault == "init_fail"))
    if c["lost"] or down:
        why = (f"{c['lost']} requests got no answer" if c["lost"] else "") + \
              (f"{'; ' if c['lost'] else ''}not serving: {', '.join(down)}" if down else "")
        return done("client_hung", why)
    # durable loss: the client's ledger found acknowledged writes gone, or
    # a probe found a service's state gone when asked twice
    lost_in = sorted({t for t, n in by.items() if n.get("gone")} |
                     {k for k, p in probes.items() if p.get("state") == "lost"})
    if lost_in:
        parts = []
        if c["gone"]:
            parts.append(f"{c['gone']} acknowledged writes gone for good "
                         f"({_attributed(by, 'gone')})")
        probe_lost = sorted(k for k, p in probes.items() if p.get("state") == "lost")
        if probe_lost:
            parts.append(f"state lost in {', '.join(probe_lost)}")
        since = start if start is not None else 0
        brought_back = [k for k in lost_in
                        if _find(ev, RECOVERY, since, label=k) is not None
                        or (k == "rs" and _find(ev, "rs_recovered", since) is not None)]
        if brought_back:
            return done("recovered_state_lost",
                        f"{'; '.join(parts)}, after {', '.join(brought_back)} came back")
        return done("state_lost", f"{'; '.join(parts)}; nothing was restarted or updated")
    lie = _update_answer(ev)
    if lie:
        return done("wrong_answers", lie)
    probe_wrong = sorted(k for k, p in probes.items() if p.get("wrong", "0") not in ("0", ""))
    if c["stale"] or probe_wrong:
        parts = []
        if c["stale"]:
            parts.append(f"transient: {_attributed(by, 'stale')} answered an earlier or no "
                         f"value while still holding the acknowledged one")
        if probe_wrong:
            parts.append(f"{', '.join(probe_wrong)} answered wrongly once, state intact")
        return done("wrong_answers", "; ".join(parts))
    upd_end = _find(ev, ("update_aborted", "update_failed"), start or 0, label=svc)

    def _undone(i):
        """An update that failed before it took effect: rolled back when the
        old version itself serves on (no restart of it), else a failure
        that a restart recovered."""
        e = ev[i]
        how = f"update {e.kind.split('_')[1]} ({e.get('why') or e.get('result')})"
        again = _find(ev, ("restarted", "restart_fresh"), i, label=svc)
        if again is not None:
            return done("recovered", f"{how}, and the old version was restarted "
                                     f"(not rolled back in place); every answer right")
        return done("rolled_back", f"{how}, undone: the old version serves on, every "
                                   f"acknowledged write kept")
    if exp.fault == "lu_ok":
        if _find(ev, "update_done", label=svc) is not None:
            return done("recovered", "update done, state carried over")
        if upd_end is not None:
            return _undone(upd_end)
        return done("wrong_answers", "the update was neither done nor rolled back")
    if not activated:
        return done("not_activated", "the armed fault never fired", False)
    if svc == "rs":
        died = _find(ev, "rs_died", fired)
        if died is not None:
            back = _find(ev, "rs_recovered", died)
            if back is None:
                return done("given_up", "RS died and did not come back")
            if ev[back].get("gone") != "0":
                return done("recovered_state_lost",
                            f"RS came back without {ev[back].get('gone')} of its services")
            return done("recovered", "RS died, restarted in place, every service re-adopted, "
                                     "every answer right")
    det = pts["detected"]
    if upd_end is not None and _find(ev, "update_done", upd_end, label=svc) is None \
            and ev[upd_end].get("why") not in PREPARE_DIED:
        return _undone(upd_end)
    if det is not None:
        e = ev[det]
        return done("recovered", f"{e.kind}, back in service, state kept, every answer right")
    kc = _find(ev, "kcall_contained", start or 0)
    if kc is not None:
        # the kernel took a fault serving a call and contained it (os/kernel/
        # contain.c): a fault that manifested, not a benign one; recovered
        # only because the kernel's check passed and every answer was right
        e = ev[kc]
        return done("recovered", f"kernel contained a fault ({e.get('what')}) in {e.get('call')} "
                                 f"of {e.get('proc')} (fate: {e.get('fate')}), its consistency "
                                 f"check passed; state kept, every answer right")
    kr = _find(ev, "kernel_repaired", start or 0)
    if kr is not None:
        # the kernel found its own data wrong and repaired it from what still
        # said what is right: run queues disagreeing with the process table
        # (or its scheduler picking a bad process; os/kernel/sched_repair.c),
        # a process that lost its IPC block, a bad privilege pointer
        # (priv_audit.c), an alarm the clock let pass (alarm_audit.c): the
        # fault manifested and was detected by the kernel's own audit
        e = ev[kr]
        if e.get("what") in ("run_queues", "sched_pick"):
            found = (f"{e.get('missing')} runnable missing, {e.get('stray')} stray, "
                     f"{e.get('links')} bad links")
        else:
            found = f"of {e.get('proc')}"
        return done("recovered", f"kernel repaired {e.get('what')} (found by {e.get('by')}: "
                                 f"{found}); state kept, every answer right")
    return done("benign", "fired; no detection, every answer right, state kept", False)
