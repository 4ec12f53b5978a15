"""Check a campaign's input against the built system before anything runs.

`make campaign` (and the pytest run behind it) calls campaign_input() first:
a spec file that cannot be read, that parses to no experiment, that aims at
a service the boot image does not hold or at a site that service's binary
lacks, a fault type that cannot act at its site (or at the default site
when the line names none), or an ONLY= that selects nothing, is refused with one message
naming the file and line (or the variable) before QEMU starts. Without
this, such a campaign boots machines for a fault that can never fire and
reports `not_activated` (or a harness error) half a minute later.

The sites come from the built ELF files (faultinj/elfsyms.py), the same
list `python3 -m faultinj sites` prints, so the check always matches the
binaries that would run. Which kinds of site a fault type acts at (a hand
FI_POINT or FI_ERROR site, a kernel site, an automatic one) is the
contract's (contract/guest_host.def): an EDFI type at a hand FI_POINT site
would "fire" with no effect and score benign.
"""

import difflib
import fnmatch
import os
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from faultinj import autosites, bootimage, contract
from faultinj.elfsyms import ElfFormatError, ElfImage, site_kind

from . import scenario, spec
from . import steps as stepsmod


class InputError(ValueError):
    """The campaign input is refused; str() is the whole message."""


def services() -> List[str]:
    """The processes of a campaign's boot image: the services a fault may aim
    at, and the scenario driver itself (runner.modules_for adds it), so a
    kernel site can fail the client's own calls: a report that never
    reaches the console."""
    return [m if isinstance(m, str) else m[0] for m in bootimage.SYSTEM] + ["scenario"]


def build_sites(build: Path, names: List[str]) -> Dict[str, Dict[str, int]]:
    """binary -> {site name: kind} for the kernel and each named program."""
    out: Dict[str, Dict[str, int]] = {}
    for name in ["kernel"] + names:
        path = Path(build) / f"{name}.elf"
        try:
            img = ElfImage(str(path))
        except FileNotFoundError:
            raise InputError(f"{path} is not built (run make first)") from None
        except (ElfFormatError, OSError) as e:
            raise InputError(f"cannot read {path}: {e}") from None
        out[name] = {s.name: s.kind for s in img.fault_sites()}
    return out


def _listing(names) -> str:
    return ", ".join(sorted(names)) if names else "none"


def _plural(kind: str) -> str:
    """'hand FI_POINT sites' for the kind whose text is 'a hand FI_POINT site'."""
    text = contract.SITE_KINDS[kind]
    return text.split(" ", 1)[1] + "s" if text.startswith(("a ", "an ")) else text


def cannot_act(fault: str, kind: str) -> Optional[str]:
    """Why fault (a contract fault type) cannot act at a site of this kind
    (point, error, kernel, auto), or None if it can: the contract's
    "(a hand FI_POINT site; it applies at automatic sites)"."""
    kinds = contract.FAULT_KINDS.get(fault)
    if kinds is None or kind in kinds:       # not a guest type: arming refuses it
        return None
    where = ", ".join(_plural(k) for k in kinds) or "no site"
    return f"{contract.SITE_KINDS[kind]}; it applies at {where}"


def check_auto(exp: spec.Experiment, build: Optional[Path]) -> Optional[str]:
    """What is wrong with exp, aimed at an automatic site (FUNC#N or
    "@ADDR") of its service's binary (or the kernel's, service `kernel`),
    or None. The name is resolved here, on the build that will run: a
    function or block this build lacks is refused before anything runs."""
    fault = scenario.FAULT_TYPE.get(exp.fault, exp.fault)
    why = cannot_act(fault, "auto") if fault else None
    if why:
        return f"{fault} cannot act at {exp.site} ({why})"
    path = Path(build or bootimage.BUILD) / f"{exp.service}.elf"
    if not path.exists():
        return f"{path} is not built (run make first)"
    try:
        autosites.target(str(path), exp.site, fault or "")
    except ValueError as e:
        return str(e) + " (python3 -m faultinj sites --auto lists them)"
    return None


def check_steps(exp: spec.Experiment) -> Optional[str]:
    """What is wrong with a line's own steps= list, or None: a fault that
    goes live at step N needs a step:N, else it could never fire."""
    if not exp.steps:
        return None
    live = scenario.live_step(exp)
    if live is not None and f"step:{live}" not in stepsmod.parse(exp.steps):
        return f"steps={exp.steps} has no step:{live}, where the fault goes live"
    return None


def check_experiment(exp: spec.Experiment, sites: Mapping[str, Mapping[str, int]],
                     build: Optional[Path] = None) -> Optional[str]:
    """What is wrong with exp on this build, or None."""
    bad_steps = check_steps(exp)
    if bad_steps:
        return bad_steps
    if autosites.is_name(exp.site) and exp.service in sites:
        return check_auto(exp, build)
    if exp.service not in sites or exp.service == "kernel":
        known = [s for s in sites if s != "kernel"]
        return f"unknown service {exp.service!r} (known: {', '.join(known)})"
    site = scenario.site_for(exp)
    if site is None:                       # lu_ok arms nothing
        return None
    own, kernel = sites[exp.service], sites["kernel"]
    given = "site" if exp.site else f"default site of {exp.fault}"
    if site in own:
        kind = site_kind(exp.service, own[site])
    elif site in kernel:
        kind = site_kind("kernel", kernel[site])
    else:
        return (f"unknown {given} {site!r} for {exp.service} ({exp.service} has: "
                f"{_listing(own)}; the kernel, for any process: {_listing(kernel)})")
    # a hook acts only for the types of its kind (contract/guest_host.def):
    # any other type armed there never fires, or fires and does nothing
    fault = scenario.FAULT_TYPE.get(exp.fault, exp.fault)
    why = cannot_act(fault, kind)
    if why:
        at = site if exp.site else f"the default site {site}"
        fitting = [n for n, k in {**{n: site_kind("kernel", k) for n, k in kernel.items()},
                                  **{n: site_kind(exp.service, k) for n, k in own.items()}}.items()
                   if k in contract.FAULT_KINDS[fault]]
        hand = f"; {exp.service}'s hand sites where it acts: {_listing(fitting)}" if fitting else ""
        return f"{fault} cannot act at {at} ({why}{hand})"
    return None


def check_campaign(c: spec.Campaign, sites: Mapping[str, Mapping[str, int]],
                   build: Optional[Path] = None) -> None:
    """SpecError at the first experiment this build cannot run."""
    for exp in c.experiments:
        problem = check_experiment(exp, sites, build)
        if problem:
            raise spec.SpecError(f"{c.filename}:{exp.line}", problem)


def select(c: spec.Campaign, only: str, var: str = "ONLY") -> spec.Campaign:
    """The experiments ONLY names (comma-separated ids or globs); every
    pattern must match one, so a mistyped id is not silently skipped."""
    pats = [p.strip() for p in only.split(",") if p.strip()]
    if not pats:
        return c
    ids = c.ids()
    for p in pats:
        if not any(fnmatch.fnmatchcase(i, p) for i in ids):
            near = difflib.get_close_matches(p, ids, 3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise InputError(f"{var}='{only}': {p!r} matches no experiment of "
                             f"{c.filename}{hint}")
    return c.select(pats)


def read_spec(path: str, var: str = "SPEC", root: Optional[Path] = None) -> spec.Campaign:
    """Parse the spec file `path` (relative to root), naming it as given."""
    full = path if os.path.isabs(path) or root is None else str(Path(root) / path)
    if not path:
        raise InputError(f"{var} is empty: name a campaign spec file")
    try:
        with open(full, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError(f"{var}={path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{var}={path}: is a directory, not a spec file") from None
    except OSError as e:
        raise InputError(f"{var}={path}: cannot read it: {e.strerror}") from None
    text = spec.decode(data, path)
    c = spec.parse(text, path)
    if not c.experiments:
        last = max(1, len(text.splitlines()))
        raise spec.SpecError(f"{path}:{last}", "no experiments (a campaign needs at least "
                                               "one '<service> <fault>' line)")
    return c


def campaign_input(path: str, only: str = "", *, build: Optional[Path] = None,
                   root: Optional[Path] = None, spec_var: str = "SPEC",
                   only_var: str = "ONLY") -> spec.Campaign:
    """The whole campaign, checked: InputError (a SpecError is turned into
    one) says what is wrong, or the campaign comes back. Raises before any
    machine starts; only reads files."""
    try:
        c = read_spec(path, spec_var, root)
        check_campaign(c, build_sites(build or bootimage.BUILD, services()), build)
        select(c, only, only_var)
    except spec.SpecError as e:
        raise InputError(str(e)) from None
    return c
