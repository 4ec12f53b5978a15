"""Writing campaigns: a Campaign back in spec format (dump, so that
parse(dump(c)) == c), and a campaign generated from the fault-site list of
the built binaries (generate: every site x fault type that applies, or a
seeded sample)."""

from __future__ import annotations

import fnmatch
import math
import os
import random
import re
import zlib
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Mapping,
                    Optional, Sequence, Tuple, Union)

# Every outcome an experiment can have (the verdict's taxonomy); a spec may
# require any set of them, e.g. expect=recovered,benign.
from .verdict import OUTCOMES  # noqa: E402
ALL_OUTCOMES = OUTCOMES

from .expectations import DEFAULT_EXPECT, ExpectTable, known_faults  # noqa: F401
from .spec_model import *  # noqa: F401,F403
from .spec_model import _KEY_RE, _NAME_RE, _WORD_RE, _fmt_num  # noqa: F401


def dump(campaign: Campaign) -> str:
    """The campaign in spec format; parse(dump(c)) == c."""
    out = ["# fault campaign spec; format: campaigns/SPEC_FORMAT.md",
           f"campaign {campaign.name}",
           f"seed {campaign.seed}"]
    if campaign.timeout is not None:
        out.append(f"timeout {_fmt_num(campaign.timeout)}")
    out.append("")
    rows = [e._tokens() for e in campaign.experiments]
    w0 = max((len(r[0]) for r in rows), default=0)
    w1 = max((len(r[1]) for r in rows), default=0)
    for r in rows:
        line = f"{r[0]:<{w0}} {r[1]:<{w1}} " + " ".join(r[2:])
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


def _site_of(site: Any) -> Tuple[str, str]:
    """(service, site name) of a site given as a string, pair, dict or object."""
    if isinstance(site, str):
        return site.split(".", 1)[0], site
    if isinstance(site, (tuple, list)) and len(site) == 2:
        return str(site[0]), str(site[1])
    get = site.get if isinstance(site, Mapping) else (lambda k: getattr(site, k, None))
    name = get("name")
    if name is None:
        raise SpecError("generate", f"site {site!r} has no name")
    service = get("service")
    if service is None:
        binary = get("binary")
        if binary is None:
            service = str(name).split(".", 1)[0]
        else:
            service = os.path.basename(str(binary)).split(".", 1)[0]
    return str(service), str(name)


def generate(sites: Iterable[Any],
             fault_types_for_site: Union[Callable[[Any], Iterable[str]],
                                         Mapping[str, Iterable[str]]],
             sample: Optional[int] = None, seed: int = 0, *,
             name: str = "generated", trigger: Union[Trigger, str] = Trigger(),
             timeout: Optional[float] = None, defaults: Optional[ExpectTable] = None,
             dynamic: Iterable[str] = ()) -> Campaign:
    """Every (site, fault type) experiment, or a seeded sample of `sample` of them.

    A site is a name (`kv.put`, service = text before the first dot), a
    (service, name) pair, or a dict/object with `name` and `service` or
    `binary` (e.g. faultinj.elfsyms.FaultSite).  `fault_types_for_site` is
    called with each site as given (or is a dict site name -> fault types).
    Experiments are ordered by (service, site) and then by fault type as
    returned, so the result does not depend on the order of `sites`; a
    sample keeps that order.  Services in `dynamic` get mode=dynamic.
    """
    table = DEFAULT_EXPECT if defaults is None else defaults
    trig = Trigger.parse(trigger) if isinstance(trigger, str) else trigger
    dyn = set(dynamic)
    if not _NAME_RE.match(name):
        raise SpecError("generate", f"bad campaign name {name!r}")
    norm = sorted({_site_of(s): s for s in sites}.items(), key=lambda kv: kv[0])
    exps: List[Experiment] = []
    seen = set()
    for (service, site_name), site in norm:
        if isinstance(fault_types_for_site, Mapping):
            faults = fault_types_for_site.get(site_name, ())
        else:
            faults = fault_types_for_site(site)
        for fault in faults:
            keys = {"site": site_name, "trigger": str(trig)}
            if service in dyn:
                keys["mode"] = "dynamic"
            from .spec import _build_experiment    # the grammar's checks, shared
            exp = _build_experiment(service, fault, keys,
                                    f"generate: site {site_name}", table, ())
            if exp.id not in seen:
                seen.add(exp.id)
                exps.append(exp)
    if sample is not None:
        if sample < 0:
            raise ValueError("sample must be >= 0")
        if sample < len(exps):
            keep = sorted(random.Random(seed).sample(range(len(exps)), sample))
            exps = [exps[i] for i in keep]
    return Campaign(name, exps, seed, timeout)

