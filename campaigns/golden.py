"""The golden run: fault-free runs of a campaign's workload that count how
often each fault site executes, per binary (python3 -m campaigns golden).
A generated campaign then aims only at sites the workload reaches, with a
trigger the workload gets to (campaigns/faultload.py), so its faults fire.

There is one run per scenario profile: an experiment drives one client
(kv or echo: scenario.client_for, or its workload=), and a site one client
never reaches must not be aimed at under it; and an experiment on DS runs
its own steps (load through echo, kv restarted after). Each run is exactly
an experiment's scenario (PROFILES), without the fault, on the shipped
build.

It counts two ways:
  - automatic sites "@ADDR": the host writes every site of every binary of
    the boot image into the kernel's table fi_golden_sites at the plan
    point (with the byte under it, from the ELF); from scenario step 1 on
    the kernel keeps an int3 at each and counts its hits, single-stepping
    over the real instruction (kernel/fi_auto.c). These are the hits a
    fault armed from step 1, as every generated one is, sees;
    Nothing else is armed in these runs, as nothing but the automatic
    site is in an experiment on one: a hand hook whose site is not armed
    skips its slow path, and the kernel's IPC path runs its plain copy,
    not the instrumented one (per-site arming), so the blocks counted are
    the blocks an experiment runs;
  - hand-placed sites, in a run of their own: a hook costs nothing while
    its own site is not armed and passes through the table (counting the
    hit in its site's descriptor) once it is; a slot at site "*" marks
    every site armed (contract/guest_host.def) and matches none, so the
    host arms one such slot. These count from the plan point.
At the end, stopped at machine_off_point, the host reads the counters
through the GDB stub: the kernel's table, and each program's descriptors
from its own address space.
"""

import json
import struct
from typing import Dict, Iterable

from faultinj import autosites, bootimage, contract
from faultinj.elfsyms import ElfImage
from faultinj.inspect import KernelView
from faultinj.planned import PlannedMachine

from . import runner, scenario, spec

# profile -> the experiment whose scenario it runs (its steps, not its fault)
PROFILES = {"kv": "kv crash workload=kv", "echo": "echo crash workload=echo",
            "ds": "ds crash workload=kv"}
WORKLOADS = tuple(PROFILES)
# a slot no site matches and that marks every site armed: every hand hook
# counts, none fires
COUNTER = dict(site="*", fault="crash", proc="nobody", trigger="times", k=1, from_step=1)
SITE = contract.struct_format("fi_golden_site")     # addr orig bin hits
MAX, BINS, NAME = (contract.CONSTS[k] for k in ("FI_GOLDEN_MAX", "FI_GOLDEN_BINS", "FI_GOLDEN_NAME"))


def steps(profile: str):
    """The scenario steps of a profile (campaigns/scenario.py plan)."""
    exp = spec.parse(f"campaign g\n{PROFILES[profile]}\n").experiments[0]
    return scenario.plan(exp).steps


def profile_of(service: str, workload: str) -> str:
    """The golden profile whose counts hold for an experiment on service
    driving this client."""
    return "ds" if service == "ds" and workload == "kv" else workload


def site_table(binaries: Iterable[str]):
    """(bins, entries): the binary names and the (bin, addr, first byte)
    of every automatic site, sorted as the kernel searches them."""
    bins, entries = [], []
    for name in binaries:
        path = bootimage.BUILD / f"{name}.elf"
        if name in bins or not path.exists():
            continue
        sites = autosites.sites(str(path))
        if not sites:
            continue
        bins.append(name)
        entries += [(len(bins) - 1, s.addr, s.first) for s in sites]
    if len(bins) > BINS or len(entries) > MAX:
        raise RuntimeError(f"golden run: {len(bins)} binaries, {len(entries)} sites: "
                           f"the kernel's table holds {BINS} and {MAX}")
    return bins, sorted(entries)


def table_writes(kernel, bins, entries):
    names = b"".join(n.encode()[:NAME - 1].ljust(NAME, b"\0") for n in bins)
    sites = b"".join(SITE.pack(a, orig, b, 0) for b, a, orig in entries)
    return [(kernel.address("fi_golden_bins"), names),
            (kernel.address("fi_golden_sites"), sites),
            (kernel.address("fi_golden_nr"), struct.pack("<I", len(entries)))]


# what each counting run of a profile counts: the kernel's automatic
# sites, the programs', the hand sites (as run_one says why)
KINDS = ("kernel", "programs", "hand")
DEADLINE_MS = 60_000            # a counting run's virtual-time limit


def _counting(workload: str, kind: str, deadline_ms: int = DEADLINE_MS,
              events=None) -> Dict[str, Dict[str, int]]:
    """One counting run of this kind (events: as _run_counting)."""
    if kind == "kernel":
        return _run_counting(workload, ["kernel"], deadline_ms, events=events)
    if kind == "programs":
        programs = [m if isinstance(m, str) else m[0] for m in bootimage.SYSTEM]
        return _run_counting(workload, programs, deadline_ms, events=events)
    return _run_counting(workload, [], deadline_ms, arm=[COUNTER], events=events)


def run_one(workload: str, deadline_ms: int = DEADLINE_MS, runs=None) -> Dict[str, Dict[str, int]]:
    """{binary: {site: hits}} of the fault-free runs with this client: one
    counting the kernel's automatic sites, one the programs', one the hand
    sites. Counting the first two in one run would trap in the kernel's
    sites on the way through every trap of a program's site, many times
    over; the hand sites' counter would change the blocks that run.
    runs: {kind: counts} already made (run_all runs them side by side)."""
    runs = runs or {k: _counting(workload, k, deadline_ms) for k in KINDS}
    kernel, users, hand = (runs[k] for k in KINDS)
    out = {b: {s: n for s, n in c.items() if not s.startswith("@")} for b, c in hand.items()}
    for b, c in users.items():
        out.setdefault(b, {}).update({s: n for s, n in c.items() if s.startswith("@")})
    for s, n in kernel["kernel"].items():
        if s.startswith("@"):
            out["kernel"][s] = n
    return out


def _run_counting(workload: str, names, deadline_ms: int, arm=(),
                  events=None) -> Dict[str, Dict[str, int]]:
    """One counting run; events: a list the run's events are added to."""
    plan = scenario.Plan(steps(workload), list(arm), scenario.DEFAULT_PERIOD, deadline_ms)
    mods, append, boot_arm, plan_arm = runner.boot_config(plan)
    bins, entries = site_table(names)
    m = PlannedMachine(mods, append=append, boot_arm=boot_arm, limit=300)
    try:
        kernel = m.kernel
        r = m.run(plan.scenario_args, plan.deadline_ms, plan_arm,
                  writes=table_writes(kernel, bins, entries))
        if r.error or r.end != "halt":
            raise RuntimeError(f"golden run did not end cleanly: {r.end} {r.error}")
        if any(e.kind == "fi_fired" for e in r.events):
            raise RuntimeError("golden run: a fault fired")
        if events is not None:
            events.extend(r.events)
        view = KernelView(m.gdb, kernel)
        out: Dict[str, Dict[str, int]] = {
            "kernel": {s.name: m.gdb.read_u32(s.hits_addr) for s in kernel.fault_sites()}}
        for p in view.processes():
            path = bootimage.BUILD / f"{p.name}.elf"
            if p.name in out or p.name in ("idle", "clock", "system", "kernel") or not path.exists():
                continue
            out[p.name] = {s.name: int.from_bytes(view.read_user(p, s.hits_addr, 4), "little")
                           for s in ElfImage(str(path)).fault_sites()}
        raw = m.gdb.read_memory(kernel.address("fi_golden_sites"), SITE.size * len(entries))
        for (b, addr, _), (_, _, _, hits) in zip(entries, SITE.iter_unpack(raw)):
            out.setdefault(bins[b], {})[f"@{addr:x}"] = hits
    finally:
        m.close()
    return out


def merge(runs: Iterable[Dict[str, Dict[str, int]]]) -> Dict[str, Dict[str, int]]:
    total: Dict[str, Dict[str, int]] = {}
    for r in runs:
        for b, counts in r.items():
            t = total.setdefault(b, {})
            for s, n in counts.items():
                t[s] = t.get(s, 0) + n
    return total


def run_all(workloads=WORKLOADS, jobs: int = 1) -> Dict:
    """The golden file: counts per workload client, and summed. Its nine
    counting runs (three a profile) are machines of their own, run jobs at
    a time: each is deterministic, so running them side by side changes no
    count (40 s one after another here, most of `make edfi`'s fixed cost)."""
    from concurrent.futures import ThreadPoolExecutor
    todo = [(w, k) for w in workloads for k in KINDS]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        done = dict(zip(todo, ex.map(lambda wk: _counting(*wk), todo)))
    per = {w: run_one(w, runs={k: done[(w, k)] for k in KINDS}) for w in workloads}
    return {"workloads": per, "binaries": merge(per.values())}


def run(workloads=WORKLOADS) -> Dict[str, Dict[str, int]]:
    """{binary: {site: hits}} summed over one run per workload client."""
    return merge(run_one(w) for w in workloads)


def binaries(gold: Dict) -> Dict[str, Dict[str, int]]:
    """The summed counts of a golden file (either format)."""
    return gold["binaries"] if "binaries" in gold and "workloads" in gold else gold


def main(out_path: str = "", jobs: int = 1) -> int:
    gold = run_all(jobs=jobs)
    text = json.dumps(gold, indent=1, sort_keys=True)
    if out_path:
        with open(out_path, "w") as f:
            f.write(text + "\n")
        hits = binaries(gold)
        for kind, pick in (("hand-placed", lambda s: not s.startswith("@")),
                           ("automatic", lambda s: s.startswith("@"))):
            reached = sum(1 for b in hits.values() for s, n in b.items() if pick(s) and n)
            total = sum(1 for b in hits.values() for s in b if pick(s))
            print(f"golden run: {reached} of {total} {kind} sites executed")
        print(f"written to {out_path}")
    else:
        print(text)
    return 0
