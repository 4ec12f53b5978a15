"""The golden run: one fault-free run of a campaign's workload that counts
how often each fault site executes, per binary (python3 -m campaigns
golden). A generated campaign then aims only at sites the workload
reaches (python3 -m campaigns generate --golden FILE), so its faults fire.

How it counts: a hook costs nothing while the fault table is empty, and
passes through the table (counting the hit in its site's descriptor, in
the fi_sites section) as soon as one slot is armed. So the host arms one
slot that matches no site, runs the workload from the plan point as an
experiment would, and at the end (stopped at machine_off_point) reads
every process's counters from its memory through the GDB stub: the
kernel's from the kernel, each program's from its own address space.
"""

import json
from typing import Dict

from faultinj import bootimage
from faultinj.elfsyms import ElfImage
from faultinj.inspect import KernelView
from faultinj.planned import PlannedMachine

from . import runner, scenario

# what every experiment's client does, on both victims, with no fault
STEPS = [f"kv:{scenario.FILL}", f"echo:{scenario.FILL}", "step:1", f"kv:{scenario.LOAD}",
         f"echo:{scenario.LOAD}", f"watch:{3 * scenario.DEFAULT_PERIOD + 10}", "verify:kv",
         "verify:echo", f"kv:{scenario.AFTER}", "probe"]
# a slot no site matches: it makes every hook count, and fires nowhere
COUNTER = dict(site="golden.count", fault="crash", proc="nobody", trigger="times", k=1,
               from_step=1)


def run(deadline_ms: int = 30_000) -> Dict[str, Dict[str, int]]:
    """{binary: {site: hits}} of one fault-free run of the workload."""
    plan = scenario.Plan(list(STEPS), [COUNTER], scenario.DEFAULT_PERIOD, deadline_ms)
    mods, append, boot_arm, plan_arm = runner.boot_config(plan)
    m = PlannedMachine(mods, append=append, boot_arm=boot_arm, limit=120)
    try:
        r = m.run(plan.scenario_args, plan.deadline_ms, plan_arm)
        if r.error or r.end != "halt":
            raise RuntimeError(f"golden run did not end cleanly: {r.end} {r.error}")
        if any(e.kind == "fi_fired" for e in r.events):
            raise RuntimeError("golden run: a fault fired")
        kernel = m.kernel
        view = KernelView(m.gdb, kernel)
        out: Dict[str, Dict[str, int]] = {
            "kernel": {s.name: m.gdb.read_u32(s.hits_addr) for s in kernel.fault_sites()}}
        for p in view.processes():
            path = bootimage.BUILD / f"{p.name}.elf"
            if p.name in out or p.name in ("idle", "clock", "system", "kernel") or not path.exists():
                continue
            sites = ElfImage(str(path)).fault_sites()
            out[p.name] = {s.name: int.from_bytes(view.read_user(p, s.hits_addr, 4), "little")
                           for s in sites}
        return out
    finally:
        m.close()


def main(out_path: str = "") -> int:
    hits = run()
    text = json.dumps(hits, indent=1, sort_keys=True)
    if out_path:
        with open(out_path, "w") as f:
            f.write(text + "\n")
        reached = sum(1 for b in hits.values() for n in b.values() if n)
        total = sum(len(b) for b in hits.values())
        print(f"golden run: {reached} of {total} sites executed; written to {out_path}")
    else:
        print(text)
    return 0
