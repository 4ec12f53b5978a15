"""What the guest does in one experiment: the scenario steps the driver in
the guest runs (os/commands/scenario), the faults the host writes into the
table at the boot hook, RS's heartbeat period and the virtual-time limit.

Everything an experiment does is decided here, from the spec line alone,
before QEMU starts: the run is a pure function of (build, spec line, seed).
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from faultinj import autosites, bootimage

from . import steps as stepsmod
from .spec import Campaign, Experiment

# The site a fault is armed at when the spec names none. Heartbeat sites
# (sef.ping) are reached by every SEF service, request sites only by the
# servers the workload uses.
REQUEST_SITE = {"kv": "kv.put", "echo": "echo.echo", "ds": "ds.request"}
FAULT_SITE = {"stale_ping": "sef.ping", "drop": "sef.pong", "init_fail": "sef.init",
              "lu_timeout": "sef.lu.prepare"}
PING_SITES = ("sef.ping", "sef.pong")
ERROR_SITE = {"kv": "kv.put.err"}                    # else the kernel's IPC path
FAULT_TYPE = {"lu_ok": None}                         # spec name -> table name
DEFAULT_PERIOD = 20          # RS's heartbeat period, ticks (os/servers/rs/rs.h)
FILL = 40                    # requests that write known data before any fault
LOAD = 100                   # requests while the fault may fire
AFTER = 30                   # requests after recovery: the system serves again
HZ = 100


@dataclass
class Plan:
    steps: List[str]            # scenario driver arguments
    arm: List[Dict]             # FaultTable.arm keyword sets, written at the boot hook
    period: int                 # RS heartbeat period, ticks
    deadline_ms: int            # virtual-time limit of the whole run
    policy: Optional[Tuple[str, str]] = None   # (service, reset|restart) for this run
    # the kernel dumps gcov counters at every instance's and the machine's
    # end (os/kernel/gcov.c): the coverage build's campaign
    coverage: bool = False
    # the period RS boots with (its `period=`): the plan's own, when a
    # fault is armed at the boot hook (the boot runs on it); otherwise the
    # default, and the first step sets the plan's (period:N), so machines
    # booted for one period serve every period
    boot_period: int = DEFAULT_PERIOD

    @property
    def scenario_args(self) -> str:
        return " ".join(self.steps)

    @property
    def own_steps(self) -> List[str]:
        """The steps without the period:N put first (what a spec line's
        steps= holds: the period is its period=)."""
        return self.steps[1:] if self.period != self.boot_period else list(self.steps)


def at_boot_hook(a: Dict) -> bool:
    """An armed slot the host writes at the boot hook (no from_step: live
    as the system boots), not at the plan point."""
    return not a.get("from_step")


def site_for(exp: Experiment) -> Optional[str]:
    if exp.fault == "lu_ok":
        return None
    if exp.site:
        return exp.site
    if exp.fault in FAULT_SITE:
        return FAULT_SITE[exp.fault]
    if exp.fault == "error":
        return ERROR_SITE.get(exp.service, "kernel.ipc.send")
    return REQUEST_SITE.get(exp.service, "sef.ping")


def client_for(exp: Experiment) -> str:
    """The victim the workload client drives."""
    if exp.workload:
        return exp.workload
    if exp.fault == "init_fail" and exp.mode == "dynamic":
        # the target is expected to stay down: drive the other victim
        return "echo" if exp.service == "kv" else "kv"
    return "echo" if exp.service == "echo" else "kv"


def arm_spec(exp: Experiment, campaign: Optional[Campaign], from_step: int = 0) -> Dict:
    kw = dict(site=site_for(exp), fault=FAULT_TYPE.get(exp.fault, exp.fault), proc=exp.service)
    t = exp.trigger
    if t.kind == "nth":
        kw.update(trigger="nth", n=int(t.value))
    elif t.kind == "times":
        kw.update(trigger="times", k=int(t.value))
    else:
        kw.update(trigger="prob", prob=int(round(t.value * 1_000_000)), k=1_000_000,
                  seed=campaign.seed_for(exp) if campaign else (exp.seed or 1))
    if exp.arg is not None:
        kw["arg"] = exp.arg & 0xFFFFFFFF     # a negative error code, as the u32 field holds it
    if exp.fault == "lu_timeout":
        kw.update(trigger="times", k=1_000_000)       # never ready, however often asked
    if from_step:
        kw["from_step"] = from_step
    if autosites.is_name(kw["site"]):
        # an automatic site (FUNC#N or @ADDR): its address and the
        # instruction the fault acts on, from the ELF of the service's
        # binary (the kernel's for service `kernel`) at hand
        path = bootimage.program_path(exp.service)
        kw["site"] = autosites.resolve(path, kw["site"]).marker    # as the guest names it
        kw["target"] = autosites.target(path, kw["site"], kw["fault"])
    return kw


def live_step(exp: Experiment) -> Optional[int]:
    """The scenario step at which exp's fault goes live (armed at the plan
    point, counting from `step:N`), or None: armed at the boot hook (a boot
    service's init failure) or nothing armed (lu_ok)."""
    if exp.fault == "lu_ok" or (exp.fault == "init_fail" and exp.mode == "boot"):
        return None
    return 1


def plan(exp: Experiment, campaign: Optional[Campaign] = None,
         coverage: bool = False) -> Plan:
    period = exp.period or DEFAULT_PERIOD
    c = client_for(exp)
    # long enough for RS to notice a hang (a ping, then its hang threshold
    # of two periods unanswered, os/servers/rs/supervise.h) and to restart
    # with its first backoff (none); a fault on the heartbeat path fires
    # only at the Nth ping, so wait for that too
    pings = int(exp.trigger.value) if site_for(exp) in PING_SITES and exp.trigger.kind != "prob" else 0
    watch = (pings + 3) * period + 10
    if exp.service == "rs":
        # RS is watched by the kernel, not by heartbeats: a hung or stale RS
        # is seen after a second without it blocking or asking for its alarm
        watch = max(watch, 150)
    svc = exp.service
    # Faults go live at step 1, after the client has written known data:
    # the state oracle then has something to lose. A boot service's init
    # failure is the exception: it must fire while the system boots.
    live = live_step(exp)
    arm = [] if exp.fault == "lu_ok" else [arm_spec(exp, campaign, from_step=live or 0)]
    # DS keeps the others' state: while its fault is live, load goes to
    # echo (whose every request saves to DS), and kv, untouched since the
    # fault, must take its keys back from DS when restarted afterwards
    load = "echo" if svc == "ds" and c == "kv" else c
    if exp.fault in ("lu_ok", "lu_timeout"):
        steps = [f"{c}:{FILL}", "step:1", f"update:{svc}", f"{load}:{LOAD}"]
    elif exp.fault == "init_fail" and exp.mode == "dynamic":
        # the boot instance's init succeeded; the one `service up` starts fails
        steps = [f"{c}:{FILL}", f"down:{svc}", "step:1", f"up:{svc}", f"{load}:{LOAD}"]
    elif exp.mode in ("update", "restart"):
        # the fault is live while the victim the client drives is updated or
        # restarted: it hits the prepare, the new init or the restore (a DS
        # fault hits the victim's restore from DS)
        steps = [f"{c}:{FILL}", "step:1", f"{exp.mode}:{c}", f"{c}:{LOAD}"]
    else:
        steps = [f"{c}:{FILL}", "step:1", f"{load}:{LOAD}"]
    steps.append(f"watch:{watch}")
    if svc == "ds":
        steps.append(f"restart:{c}")
    steps += [f"verify:{c}", f"{c}:{AFTER}", f"verify:{c}", "probe"]
    if exp.steps:
        # the line's own steps (a minimised reproducer's): the fault, its
        # arming and the limit stay as planned, the guest runs these
        steps = stepsmod.parse(exp.steps)
    boot_period = period if any(at_boot_hook(a) for a in arm) else DEFAULT_PERIOD
    if period != boot_period:
        steps.insert(0, f"period:{period}")
    limit = exp.timeout if exp.timeout is not None else (campaign.timeout if campaign and campaign.timeout else 30.0)
    policy = (exp.service, exp.policy) if exp.policy else None
    return Plan(steps, arm, period, int(limit * 1000), policy, coverage, boot_period)
