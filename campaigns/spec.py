"""Campaign spec files: the grammar (parse, load). The rest of what a spec
is lives beside it, a file per job: the model (spec_model.py: Trigger,
Experiment, Campaign, ranges), the default outcomes (expectations.py), and
writing back and generating (spec_write.py); all of their names are this
module's too.

A campaign spec is a plain text file a person can read and edit.  It names
the campaign and lists one fault experiment per line.  The full description
with examples is in campaigns/SPEC_FORMAT.md; in short:

    # a '#' beginning a word starts a comment; blank lines are ignored
    campaign crash-basic        # required, the first statement
    seed 7                      # optional: seeds probability triggers (default 0)
    timeout 30                  # optional: default seconds per experiment

    # <service> <fault> [key=value ...]
    kv    crash  site=kv.put trigger=nth:3
    echo  hang
    kv    init_fail mode=dynamic            # expect defaults to torn_down
    ds    drop   site=ds.reply trigger=prob:0.25 expect=recovered

Header lines (`campaign`, `seed`, `timeout`) come before the first
experiment and appear at most once each.

Fault types: the contract's (contract/guest_host.def) and lu_ok: the keys of
the expectation table, so a caller passing its own table may add more.
Which kinds of site each acts at is the contract's too; campaigns/check.py
refuses a pair that cannot act.

Experiment keys:

    site=NAME        fault site (FI_POINT/FI_ERROR name); none = the
                     service-level variant of the fault
    site=FUNC#N      automatic site: block N (from 0) of function FUNC of
                     the service's binary (faultinj/autosites.py), e.g.
                     kv_put#3; FUNC~K#N where K functions share the name;
                     @HEX names one build's site by its address
    trigger=nth:N    fire on the Nth hit (default nth:1)
    trigger=times:K  fire on each of the first K hits
    trigger=prob:P   fire on each hit with probability 0 < P <= 1
    expect=OUTCOME   recovered | torn_down | halted | not_activated
                     (default: from the expectation table, see below)
    mode=boot|dynamic|update|restart  how the victim meets the fault: a boot
                     service (default), a dynamic one started with `service
                     up`, or one live-updated or restarted as the fault goes
                     live
    arg=INT          fault parameter (delay: busy for arg x 6 us of virtual
                     time; bitflip: the bit; error: the code)
    workload=NAME    workload to run against the service
    policy=reset|restart  recovery policy the experiment checks
    seed=N           seed of this experiment's probability trigger
    steps=A+B+...    the scenario's steps, instead of the ones planned from
                     the fault (campaigns/steps.py)
    timeout=SECONDS  overrides the campaign timeout for this experiment

Any other key is an error unless the caller names it in `extra_keys`.
Values are single words of letters, digits and `_ . , : / + @ % # ~ -`, so ids
and replay commands never need shell quoting (`#` and `~` inside a word are
plain characters to a shell, and a spec's comment starts at a '#' that
begins a word).

Each experiment has a stable id built from everything that changes what is
run (not `expect` or `timeout`), e.g. `kv-crash-site=kv.put-nth:3`; the id
keys the journal and selects the experiment in a replay command.  Two lines
with the same id are an error.

Default expectations come from a table mapping a fault type (or a
`(service, fault)` pair, which wins) to an outcome, to a `{mode: outcome}`
dict, or to a callable `f(experiment) -> outcome`.  DEFAULT_EXPECT is used
unless `parse`/`generate` get another table.

Every error raises SpecError with a message `filename:line: what is wrong`.
"""

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

from . import steps as stepsmod  # noqa: E402
from .steps import PERIOD_MAX  # noqa: E402

# the model, the expectations and the writer live beside this grammar;
# their names are this module's too, for every caller of campaigns.spec
from .expectations import *  # noqa: F401,F403
from .expectations import ExpectEntry, ExpectTable  # noqa: F401
from .spec_model import *  # noqa: F401,F403
from .spec_model import (_KEY_RE, _NAME_RE, _WORD_RE, _fmt_num, _parse_float,  # noqa: F401
                         _parse_int)


# a comment: a '#' at the start of the line or after blank space (inside a
# word it is part of an automatic site's name, kv_put#3)
_COMMENT_RE = re.compile(r"(?:^|(?<=\s))#")
# an automatic site's symbolic name, function#block (one definition)
from faultinj.autosites import SYMBOLIC as _AUTO_RE  # noqa: E402


def _build_experiment(service: str, fault: str, keys: Mapping[str, str],
                      where: str, table: ExpectTable,
                      extra_keys: Sequence[str]) -> Experiment:
    """Check a service, a fault and key=value strings and make an Experiment.

    Shared by parse() and generate(), so both accept exactly the same things.
    """
    if not _NAME_RE.match(service):
        raise SpecError(where, f"bad service name {service!r}")
    faults = known_faults(table)
    if fault not in faults:
        raise SpecError(where, f"unknown fault type {fault!r} (known: {', '.join(faults)})")
    allowed = set(KNOWN_KEYS) | set(extra_keys)
    kw: Dict[str, Any] = {}
    params = []
    for key, val in keys.items():
        if key not in allowed:
            raise SpecError(where, f"unknown key {key!r} (known: "
                                   f"{', '.join(list(KNOWN_KEYS) + list(extra_keys))})")
        if not val:
            raise SpecError(where, f"empty value for {key!r}")
        if not _WORD_RE.match(val):
            raise SpecError(where, f"bad characters in {key}={val!r}")
        try:
            if key == "site":
                # a hand site's name, or an automatic site: FUNC#N or "@HEX"
                if not (_NAME_RE.match(val) or re.match(r"^@(0x)?[0-9a-fA-F]{1,8}$", val)
                        or _AUTO_RE.match(val)):
                    raise ValueError(f"bad site name {val!r} (a site's name, or FUNC#BLOCK "
                                     f"or @ADDR for an automatic one)")
                kw["site"] = val
            elif key == "trigger":
                kw["trigger"] = Trigger.parse(val)
            elif key == "expect":
                for one in val.split(","):
                    if one not in OUTCOMES:
                        raise ValueError(f"unknown outcome {one!r} for expect "
                                         f"(known: {', '.join(OUTCOMES)})")
                kw["expect"] = val
            elif key == "period":
                n = _parse_int(val, "period")
                if not 1 <= n <= PERIOD_MAX:
                    raise ValueError(f"bad number {val!r} for period (heartbeat ticks, "
                                     f"1..{PERIOD_MAX})")
                kw["period"] = n
            elif key == "mode":
                if val not in MODES:
                    raise ValueError(f"unknown mode {val!r} (known: {', '.join(MODES)})")
                kw["mode"] = val
            elif key == "policy":
                if val not in POLICIES:
                    raise ValueError(f"unknown policy {val!r} (known: {', '.join(POLICIES)})")
                kw["policy"] = val
            elif key == "arg":
                n = _parse_int(val, "arg")
                if not ARG_MIN <= n <= ARG_MAX:
                    raise ValueError(f"arg {val!r} out of range ({ARG_MIN} to {ARG_MAX}: "
                                     f"a 32-bit field of the fault table)")
                kw["arg"] = n
            elif key == "seed":
                n = _parse_int(val, "seed")
                if n < 0:
                    raise ValueError(f"bad number {val!r} for seed (must be >= 0)")
                if n > SEED_MAX:
                    raise ValueError(f"seed {val!r} out of range (at most {SEED_MAX})")
                kw["seed"] = n
            elif key == "timeout":
                kw["timeout"] = check_timeout(_parse_float(val, "timeout"), val)
            elif key == "steps":
                stepsmod.parse(val)
                kw["steps"] = val
            elif key == "workload":
                if val not in WORKLOADS:
                    raise ValueError(f"unknown workload {val!r} (known: {', '.join(WORKLOADS)})")
                kw["workload"] = val
            else:
                params.append((key, val))
        except ValueError as e:
            raise SpecError(where, str(e)) from None
    exp = Experiment(service, fault, params=tuple(sorted(params)), **kw)
    if not exp.expect:
        try:
            expect = default_expect(exp, table)
        except (KeyError, ValueError) as e:
            raise SpecError(where, str(e.args[0]) if e.args else str(e)) from None
        exp = Experiment(**{**_fields(exp), "expect": expect})
    return exp


def _fields(exp: Experiment) -> Dict[str, Any]:
    return {f: getattr(exp, f) for f in exp.__dataclass_fields__}


def _with_line(exp: Experiment, line: int) -> Experiment:
    return Experiment(**{**_fields(exp), "line": line})


def parse(text: str, filename: str = "<spec>", *, defaults: Optional[ExpectTable] = None,
          extra_keys: Sequence[str] = ()) -> Campaign:
    """Parse spec text into a Campaign; SpecError names `filename:line`.

    `defaults` replaces DEFAULT_EXPECT (its keys are the known fault types);
    `extra_keys` are further key names allowed on experiment lines, kept as
    strings in Experiment.params.
    """
    table = DEFAULT_EXPECT if defaults is None else defaults
    for k in extra_keys:
        if not _KEY_RE.match(k) or k in KNOWN_KEYS:
            raise ValueError(f"bad extra key name {k!r}")
    name: Optional[str] = None
    seed: Optional[int] = None
    timeout: Optional[float] = None
    experiments: List[Experiment] = []
    first_line: Dict[str, int] = {}
    lineno = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{filename}:{lineno}"
        toks = _COMMENT_RE.split(raw, 1)[0].split()
        if not toks:
            continue
        head, args = toks[0], toks[1:]
        if head in ("campaign", "seed", "timeout"):
            if experiments:
                raise SpecError(where, f"'{head}' must come before the first experiment")
            if len(args) != 1:
                raise SpecError(where, f"'{head}' takes exactly one value")
            val = args[0]
            if head == "campaign":
                if name is not None:
                    raise SpecError(where, "second 'campaign' line")
                if not _NAME_RE.match(val):
                    raise SpecError(where, f"bad campaign name {val!r}")
                name = val
                continue
            if name is None:
                raise SpecError(where, "missing 'campaign NAME' line before this one")
            if head == "seed":
                if seed is not None:
                    raise SpecError(where, "second 'seed' line")
                try:
                    seed = _parse_int(val, "seed")
                except ValueError as e:
                    raise SpecError(where, str(e)) from None
                if seed < 0:
                    raise SpecError(where, f"bad number {val!r} for seed (must be >= 0)")
            else:
                if timeout is not None:
                    raise SpecError(where, "second 'timeout' line")
                try:
                    timeout = check_timeout(_parse_float(val, "timeout"), val)
                except ValueError as e:
                    raise SpecError(where, str(e)) from None
            continue
        if name is None:
            raise SpecError(where, "missing 'campaign NAME' line before the first experiment")
        if len(toks) < 2 or "=" in toks[1] or "=" in toks[0]:
            raise SpecError(where, "expected '<service> <fault> [key=value ...]'")
        keys: Dict[str, str] = {}
        for tok in toks[2:]:
            key, sep, val = tok.partition("=")
            if not sep or not key:
                raise SpecError(where, f"expected key=value, got {tok!r}")
            if key in keys:
                raise SpecError(where, f"key {key!r} given twice")
            keys[key] = val
        exp = _build_experiment(toks[0], toks[1], keys, where, table, extra_keys)
        if exp.id in first_line:
            raise SpecError(where, f"duplicate experiment {exp.id} "
                                   f"(first on line {first_line[exp.id]})")
        first_line[exp.id] = lineno
        experiments.append(_with_line(exp, lineno))
    if name is None:
        raise SpecError(f"{filename}:{max(lineno, 1)}", "missing 'campaign NAME' line")
    return Campaign(name, experiments, seed or 0, timeout, filename)


def decode(data: bytes, filename: str) -> str:
    """The text of a spec file; a binary or non-UTF-8 file is a SpecError
    naming the line of the first bad byte (a spec is text a person edits)."""
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise SpecError(f"{filename}:{line}", "binary file (NUL byte), not a campaign spec")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SpecError(f"{filename}:{line}",
                        f"not UTF-8 text (byte {data[e.start]:#04x})") from None


def load(path: str, **kw) -> Campaign:
    """Read and parse a spec file (keyword arguments as for parse)."""
    with open(path, "rb") as f:
        return parse(decode(f.read(), path), path, **kw)



# writing back and generating (the writer needs the grammar's checks)
from .spec_write import *  # noqa: E402,F401,F403
from .spec_write import _site_of  # noqa: E402,F401
