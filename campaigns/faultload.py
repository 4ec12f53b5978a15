"""An EDFI-style faultload from a golden run: N experiments at automatic
basic-block sites the workload executes, seeded.

  python3 -m campaigns generate --golden G --auto --sample N [--seed S]
          [--weight uniform|count] [--faults a,b,...] [-o FILE]

For every service of the boot image and the kernel, the candidates are the
automatic sites (faultinj/autosites.py) the golden run saw executed under
one of the workload clients. The N experiments are shared evenly among the
components that have candidates (the kernel and each service: a busy
kernel must not crowd out a quiet VM), and each experiment then draws
  - a site: uniformly over the candidates (`uniform`), or in proportion
    to how often the workload executed it (`count`, EDFI's default: a fault
    lands where execution is);
  - a fault type, uniformly among the chosen types that apply there;
  - the client that reaches the site most (workload=);
  - the hit it fires at: nth:K with K uniform in 1..max(1, H/2), H the
    site's hits under that client from scenario step 1 (the golden run's
    count). The margin keeps K reachable when the run differs a little from
    the golden one (a fault's own timing, heartbeats per virtual second);
  - the fault's parameter: the bit to flip (or +1/-1 for corrupt_int).
Everything comes from random.Random(seed): the same golden file and seed
give the same spec.
"""

import random
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from faultinj import autosites, bootimage

from . import spec as spec_mod
from .golden import binaries as golden_binaries, profile_of

# the fault types that act at automatic sites (the contract's kind auto),
# those on an instruction of the block first
FAULTS = autosites.INSN_TYPES + autosites.HOOK_TYPES
# what a faultload may aim at: the system services and the kernel
TARGETS = ("kernel", "rs", "ds", "vm", "pm", "mem", "tty", "kv", "echo")
WEIGHTS = ("uniform", "count")
MARGIN = 0.5
# virtual seconds an experiment may take: a fault-free one ends in about 1;
# RS's own hang detection takes 1 and a restart a few ms. A fault that keeps
# the system busy for good (a livelock) burns host time at the rate of
# virtual time, so the limit is no longer than recovery needs
TIMEOUT = 2.5


def candidates(gold: Dict, targets: Sequence[str] = TARGETS) -> List[Tuple]:
    """(binary, AutoSite, workload, hits) of every automatic site some
    workload client executed, the client that executes it most (hits as
    counted in the golden run of that experiment's scenario profile)."""
    runs = gold.get("workloads") or {"kv": golden_binaries(gold)}
    clients = [w for w in ("kv", "echo") if w in runs]
    out = []
    for b in targets:
        path = bootimage.BUILD / f"{b}.elf"
        if not path.exists():
            continue
        for s in autosites.sites(str(path), str(bootimage.ROOT)):
            # the golden run counts a build's sites by address
            best = max(((runs.get(profile_of(b, w), {}).get(b, {}).get(s.marker, 0), w)
                        for w in clients), default=(0, ""))
            if best[0] > 0:
                out.append((b, s, best[1], best[0]))
    return out


def _arg(fault: str, rng: random.Random) -> Optional[int]:
    if fault == "corrupt_int":
        return rng.choice((32, 33)) if rng.random() < 0.25 else rng.randrange(32)
    if fault == "corrupt_ptr":
        return rng.randrange(2, 31)
    return None


def generate(gold: Dict, n: int, seed: int = 0, weight: str = "count",
             faults: Iterable[str] = FAULTS, targets: Sequence[str] = TARGETS,
             name: str = "edfi", timeout: Optional[float] = TIMEOUT) -> str:
    """The spec's text (checked by the spec grammar), one line per
    experiment with its site's function and source line in a comment."""
    if weight not in WEIGHTS:
        raise ValueError(f"unknown weighting {weight!r} (known: {', '.join(WEIGHTS)})")
    faults = tuple(faults)
    bad = [f for f in faults if f not in FAULTS]
    if bad:
        raise ValueError(f"not an automatic-site fault: {', '.join(bad)} (known: {', '.join(FAULTS)})")
    cands = [c for c in candidates(gold, targets) if set(c[1].faults()) & set(faults)]
    if not cands:
        raise ValueError("the golden run executed no automatic site these faults apply at")
    rng = random.Random(seed)
    comps = sorted({c[0] for c in cands}, key=lambda b: list(targets).index(b))
    quota = {b: n // len(comps) + (1 if k < n % len(comps) else 0) for k, b in enumerate(comps)}
    lines, seen = [], set()
    for b in comps:
        mine = [c for c in cands if c[0] == b]
        weights = [c[3] if weight == "count" else 1 for c in mine]
        got, tries = 0, 0
        while got < quota[b] and tries < 50 * quota[b]:
            tries += 1
            _, site, w, hits = rng.choices(mine, weights)[0]
            fault = rng.choice([f for f in faults if f in site.faults()])
            k = 1 + rng.randrange(max(1, int(MARGIN * hits)))
            line = f"{b} {fault} site={site.name} trigger=nth:{k} workload={w}"
            arg = _arg(fault, rng)
            if arg is not None:
                line += f" arg={arg}"
            if line in seen:
                continue
            seen.add(line)
            got += 1
            lines.append(f"{line}   # {site.marker} {site.file}:{site.line} ({hits} hits)")
    head = [f"# {name}: {len(lines)} EDFI-style faults at automatic basic-block sites the",
            f"# golden run executed, drawn with seed {seed}, sites weighted {weight}",
            "# (python3 -m campaigns generate --golden FILE --auto; campaigns/faultload.py).",
            f"campaign {name}", f"seed {seed}"]
    if timeout:
        head.append(f"timeout {timeout:g}")
    out = "\n".join(head + [""] + lines) + "\n"
    spec_mod.parse(out, f"{name}.spec")
    return out
