"""The verdict of one experiment: a pure function of its recorded trace.

The runner only produces the trace (the guest's event lines, how QEMU
ended, and a harness error if the host could not run the experiment); the
outcome, the why, and the timings are computed here, by `classify`, which
the runner, the report and the unit tests all use. Nothing here looks at a
host clock: host timings are read from the arrival times the trace holds.

Outcome classes (each experiment also records armed / activated / manifested):

  not_activated         the armed fault never fired, nothing went wrong
  benign                it fired and nothing visible followed
  recovered             RS detected it, and afterwards every answer was
                        right and all state was kept
  recovered_state_lost  served again, but acknowledged state is gone or
                        rolled back (a client read it, or DS/VM lost it)
  wrong_answers         a client got a value nobody wrote (silent corruption)
  client_hung           a client got no answer, or a service stayed down
  torn_down             a dynamic service whose init failed is down for good
  halted                RS panicked and halted the machine
  given_up              RS gave up restarting a service
  kernel_panic          the kernel panicked
  system_hang           the virtual-time limit passed with nothing moving
  harness_error         the host could not run the experiment (not the OS's fault)
"""

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence

from faultinj import exitcodes
from faultinj.events import Event, parse_recorded

OUTCOMES = ("not_activated", "benign", "recovered", "recovered_state_lost", "wrong_answers",
            "client_hung", "torn_down", "halted", "given_up", "kernel_panic", "system_hang",
            "harness_error")

# RS noticing something wrong with a service
DETECT = ("died", "ping_missed", "init_timeout", "update_aborted", "update_failed", "down",
          "killed")
# how QEMU ended (faultinj.exitcodes outcome names)
END_HALT, END_PANIC, END_DEADLINE = "halt", "panic", "deadline"



@dataclass
class Trace:
    """What one run of the guest left behind."""
    events: List[Event]
    end: Optional[str] = None          # halt | panic | deadline | timeout | killed | error | reset
    harness_error: Optional[str] = None
    armed: bool = True                 # a fault was written to the table

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

    def as_dict(self) -> Dict:
        return dict(self.__dict__)


def _find(events: List[Event], kinds, start: int = 0, **fields) -> Optional[int]:
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    for i in range(start, len(events)):
        e = events[i]
        if e.kind in kinds and all(e.get(k) == str(v) for k, v in fields.items()):
            return i
    return None


def _client_counts(events: List[Event]) -> Dict[str, int]:
    """Totals over every workload and verify step of the scenario."""
    c = {"answered": 0, "verified": 0, "wrong": 0, "stale": 0, "lost": 0, "retried": 0}
    for e in events:
        if e.get("who") != "scenario" or e.kind not in ("wl_done", "sc_verify"):
            continue
        for k in c:
            if k in e:
                try:
                    c[k] += e.int(k)
                except ValueError:
                    # the client's own report came out garbled (a fault
                    # corrupted what reached it): a wrong answer in itself
                    c["wrong"] += 1
    return c


def _probes(events: List[Event]) -> Dict[str, str]:
    return {e.get("label"): e.get("state") for e in events
            if e.kind == "sc_probe" and e.get("who") == "scenario"}


def _timings(v: Verdict, events: List[Event], exp) -> None:
    """fault fired (or update asked) -> RS detected -> service back."""
    start = _find(events, "fi_fired")
    if start is None and exp.fault == "lu_ok":
        start = _find(events, "update_requested", label=exp.service)
    if start is None:
        return
    if exp.service == "rs":
        # RS's own death is the kernel's to see; back once RS re-adopted all
        det = _find(events, "rs_died", start)
        back_i = _find(events, "rs_recovered", det) if det is not None else None
        if det is not None:
            _set_times(v, events[start], events[det], events[back_i] if back_i is not None else None)
        return
    det = _find(events, DETECT, start, label=exp.service)
    if det is None and exp.fault == "lu_ok":
        det = start
    if det is None:
        return
    t0, d = events[start], events[det]
    v.detect_virtual_us = d.t - t0.t if d.t is not None and t0.t is not None else None
    if d.host_t is not None and t0.host_t is not None:
        v.detect_host_s = round(d.host_t - t0.host_t, 4)
    back = None
    for i in range(det, len(events)):
        e = events[i]
        if e.get("label") != exp.service:
            continue
        if (e.kind == "init_result" and e.get("result") == "0") or e.kind in (
                "update_aborted", "update_done") or (e.kind == "down" and i > det):
            back = e
            break
        if e.kind == "down" and i == det and e.get("why") == "init-failed":
            back = e
            break
    if back is not None and back.t is not None and t0.t is not None:
        v.recover_virtual_us = back.t - t0.t
        if back.host_t is not None and t0.host_t is not None:
            v.recover_host_s = round(back.host_t - t0.host_t, 4)


def _set_times(v: Verdict, t0: Event, d: Event, back: Optional[Event]) -> None:
    if d.t is not None and t0.t is not None:
        v.detect_virtual_us = d.t - t0.t
    if d.host_t is not None and t0.host_t is not None:
        v.detect_host_s = round(d.host_t - t0.host_t, 4)
    if back is not None and back.t is not None and t0.t is not None:
        v.recover_virtual_us = back.t - t0.t
        if back.host_t is not None and t0.host_t is not None:
            v.recover_host_s = round(back.host_t - t0.host_t, 4)


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


def classify(exp, trace: Trace) -> Verdict:
    """The verdict of experiment `exp` (a campaigns.spec.Experiment) from its trace."""
    ev = trace.events
    fired = _find(ev, "fi_fired")
    armed = trace.armed and exp.fault != "lu_ok"
    activated = fired is not None
    v = Verdict("harness_error", "", armed, activated, False)
    v.counts = _client_counts(ev)
    _timings(v, ev, exp)
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
    if trace.end == exitcodes.FATAL:
        return done("kernel_panic", "QEMU stopped the CPU in a fatal state (e.g. code run "
                                    "outside RAM): the kernel crashed")
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

    # the scenario ran to its end: judge what the clients and probes saw
    if exp.fault == "init_fail" and exp.mode == "dynamic":
        d = _find(ev, "down", label=svc, why="init-failed")
        if d is not None and _find(ev, "restarted", d, label=svc) is None \
                and probes.get(svc, "down") == "down":
            return done("torn_down", "init failed: service down, not restarted")
    if c["wrong"]:
        return done("wrong_answers", f"clients got {c['wrong']} wrong answers")
    down = sorted(k for k, s in probes.items() if s == "down"
                  and not (k == svc and exp.mode == "dynamic" and exp.fault == "init_fail"))
    if c["lost"] or down:
        why = (f"{c['lost']} requests got no answer" if c["lost"] else "") + \
              (f"{'; ' if c['lost'] else ''}not serving: {', '.join(down)}" if down else "")
        return done("client_hung", why)
    lost_in = sorted(k for k, s in probes.items() if s == "lost")
    if c["stale"] or lost_in:
        parts = []
        if c["stale"]:
            parts.append(f"{c['stale']} acknowledged items gone or rolled back")
        if lost_in:
            parts.append(f"state lost in {', '.join(lost_in)}")
        return done("recovered_state_lost", "; ".join(parts))
    if exp.fault == "lu_ok":
        if _find(ev, "update_done", label=svc) is not None:
            return done("recovered", "update done, state carried over")
        return done("given_up", "the update did not complete")
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
    det = _find(ev, DETECT, fired, label=svc)
    if det is not None:
        e = ev[det]
        if exp.fault == "lu_timeout" and e.kind == "update_aborted":
            return done("recovered", "update aborted, old version kept serving")
        return done("recovered", f"{e.kind}, back in service, state kept, every answer right")
    return done("benign", "fired; no detection, every answer right, state kept", False)
