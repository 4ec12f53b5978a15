"""Campaign spec files: parse, generate and write back fault campaigns.

A campaign spec is a plain text file a person can read and edit.  It names
the campaign and lists one fault experiment per line.  The full description
with examples is in campaigns/SPEC_FORMAT.md; in short:

    # anything after '#' is a comment; blank lines are ignored
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

Fault types: crash, panic, hang, stale_ping, init_fail, lu_timeout, lu_ok,
error, delay, drop, bitflip (the keys of the expectation table, so a caller
passing its own table may add more).

Experiment keys:

    site=NAME        fault site (FI_POINT/FI_ERROR name); none = the
                     service-level variant of the fault
    trigger=nth:N    fire on the Nth hit (default nth:1)
    trigger=times:K  fire on each of the first K hits
    trigger=prob:P   fire on each hit with probability 0 < P <= 1
    expect=OUTCOME   recovered | torn_down | halted | not_activated
                     (default: from the expectation table, see below)
    mode=boot|dynamic  how the victim is started: a boot service (default)
                     or a dynamic one started with `service up`
    arg=INT          fault parameter (delay in us, bit to flip, error code)
    workload=NAME    workload to run against the service
    policy=reset|restart  recovery policy the experiment checks
    seed=N           seed of this experiment's probability trigger
    timeout=SECONDS  overrides the campaign timeout for this experiment

Any other key is an error unless the caller names it in `extra_keys`.
Values are single words of letters, digits and `_ . , : / + @ % -`, so ids
and replay commands never need shell quoting.

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

MODES = ("boot", "dynamic")
POLICIES = ("reset", "restart")
TRIGGER_KINDS = ("nth", "times", "prob")

# fault -> outcome | {mode: outcome} | callable(Experiment) -> outcome
ExpectEntry = Union[str, Mapping[str, str], Callable[["Experiment"], str]]
ExpectTable = Mapping[Union[str, Tuple[str, str]], ExpectEntry]

DEFAULT_EXPECT: Dict[str, ExpectEntry] = {
    "crash": "recovered",
    "panic": "recovered",
    "hang": "recovered",
    "deadlock": "recovered",
    "stale_ping": "recovered",
    # a boot service whose init fails halts the system; a dynamic one is
    # brought down and not restarted
    "init_fail": {"boot": "halted", "dynamic": "torn_down"},
    # an aborted update leaves the old version running
    "lu_timeout": "recovered",
    "lu_ok": "recovered",
    # a fault the service takes in its stride is fine too, as long as no
    # client sees a wrong answer or loses state
    "error": "benign,recovered",
    "delay": "benign,recovered",
    "drop": "recovered",
    "bitflip": "benign,recovered",
}
FAULTS = tuple(DEFAULT_EXPECT)

# keys an experiment line may carry, in the order dump() writes them
KNOWN_KEYS = ("site", "trigger", "expect", "mode", "arg", "workload",
              "policy", "period", "seed", "timeout")
WORKLOADS = ("kv", "echo")

# Ranges of the numbers a spec gives, set by where they end up: trigger
# counts, seeds and args are 32-bit fields of the guest's fault table
# (faultinj/arming.py); a probability is written in parts per million; the
# time limit is kept by the kernel's watchdog in 32-bit ticks of 10 ms
# (os/kernel/watchdog.c computes ms * 100), and it must be at least 1 ms,
# as 0 ms means "no limit" to the kernel.
U32_MAX = 0xFFFFFFFF
COUNT_MAX = U32_MAX                 # nth:N, times:K
PROB_MIN = 1e-6                     # below one part per million never fires
ARG_MIN, ARG_MAX = -(1 << 31), U32_MAX   # a negative error code is an arg too
SEED_MAX = U32_MAX
TIMEOUT_MIN, TIMEOUT_MAX = 0.001, 3600.0  # virtual seconds

_WORD_RE = re.compile(r"[A-Za-z0-9_.,:/+@%-]+\Z")
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_KEY_RE = re.compile(r"[a-z][a-z0-9_]*\Z")


class SpecError(ValueError):
    """A spec is malformed; the message reads `filename:line: problem`."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _fmt_num(x: float) -> str:
    """A float written so that float(text) gives it back, integers plainly."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


@dataclass(frozen=True)
class Trigger:
    """When an armed fault fires: `nth:N`, `times:K` or `prob:P`."""

    kind: str = "nth"
    value: Union[int, float] = 1

    def __str__(self) -> str:
        if self.kind == "prob":
            return f"prob:{_fmt_num(self.value)}"
        return f"{self.kind}:{int(self.value)}"

    @classmethod
    def parse(cls, text: str) -> "Trigger":
        """Parse `nth:N`, `times:K` or `prob:P`; ValueError says what is wrong."""
        kind, sep, num = text.partition(":")
        if not sep or not num:
            raise ValueError(f"bad trigger {text!r} (expected nth:N, times:K or prob:P)")
        if kind not in TRIGGER_KINDS:
            raise ValueError(f"unknown trigger kind {kind!r} in {text!r} "
                             f"(known: {', '.join(TRIGGER_KINDS)})")
        if kind == "prob":
            p = _parse_float(num, f"trigger {text!r}")
            if not 0.0 < p <= 1.0:
                raise ValueError(f"probability out of range in trigger {text!r} (0 < P <= 1)")
            if p < PROB_MIN:
                raise ValueError(f"probability out of range in trigger {text!r}: below "
                                 f"{PROB_MIN:g}, one part per million, it never fires")
            return cls("prob", p)
        n = _parse_int(num, f"trigger {text!r}")
        if n < 1:
            raise ValueError(f"count must be at least 1 in trigger {text!r}")
        if n > COUNT_MAX:
            raise ValueError(f"count out of range in trigger {text!r} (at most {COUNT_MAX})")
        return cls(kind, n)


def _parse_int(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ValueError(f"bad number {text!r} for {what}") from None


def check_timeout(t: float, text: str) -> float:
    """A time limit in virtual seconds the kernel's watchdog can keep."""
    if t <= 0:
        raise ValueError(f"bad number {text!r} for timeout (must be > 0)")
    if not TIMEOUT_MIN <= t <= TIMEOUT_MAX:
        raise ValueError(f"timeout {text!r} out of range ({TIMEOUT_MIN:g} to "
                         f"{TIMEOUT_MAX:g} virtual seconds)")
    return t


def _parse_float(text: str, what: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"bad number {text!r} for {what}") from None
    if not math.isfinite(x):
        raise ValueError(f"bad number {text!r} for {what}")
    return x


@dataclass(frozen=True)
class Experiment:
    """One fault experiment: arm `fault` at `site` of `service`, expect `expect`."""

    service: str
    fault: str
    site: Optional[str] = None
    trigger: Trigger = Trigger()
    expect: str = ""
    mode: str = "boot"
    arg: Optional[int] = None
    workload: Optional[str] = None
    policy: Optional[str] = None
    seed: Optional[int] = None
    timeout: Optional[float] = None
    period: Optional[int] = None
    params: Tuple[Tuple[str, str], ...] = ()   # caller-defined extra keys, sorted
    line: int = field(default=0, compare=False)  # where it was read, 0 if built

    @property
    def id(self) -> str:
        """Stable, shell-safe identity, e.g. `kv-crash-site=kv.put-nth:3`."""
        parts = [self.service, self.fault]
        if self.site is not None:
            parts.append(f"site={self.site}")
        parts.append(str(self.trigger))
        if self.mode != "boot":
            parts.append(f"mode={self.mode}")
        for key in ("arg", "workload", "policy", "period", "seed"):
            val = getattr(self, key)
            if val is not None:
                parts.append(f"{key}={val}")
        parts.extend(f"{k}={v}" for k, v in self.params)
        return "-".join(parts)

    @property
    def expects(self) -> Tuple[str, ...]:
        """The outcomes this experiment accepts (expect=a,b)."""
        return tuple(self.expect.split(",")) if self.expect else ()

    def param(self, key: str, default: Optional[str] = None) -> Optional[str]:
        """Value of a caller-defined extra key."""
        return dict(self.params).get(key, default)

    def as_dict(self) -> Dict[str, Any]:
        """The experiment's fields, ready to seed a result dict."""
        return {
            "id": self.id, "service": self.service, "fault": self.fault,
            "site": self.site, "trigger": str(self.trigger),
            "expected": self.expect, "mode": self.mode, "arg": self.arg,
            "workload": self.workload, "policy": self.policy,
            "seed": self.seed, "timeout": self.timeout, "period": self.period,
            "params": dict(self.params),
        }

    def to_line(self) -> str:
        """This experiment as one spec line (always names its expectation)."""
        return " ".join(self._tokens())

    def _tokens(self) -> List[str]:
        toks = [self.service, self.fault]
        if self.site is not None:
            toks.append(f"site={self.site}")
        if self.trigger != Trigger():
            toks.append(f"trigger={self.trigger}")
        toks.append(f"expect={self.expect}")
        if self.mode != "boot":
            toks.append(f"mode={self.mode}")
        for key in ("arg", "workload", "policy", "period", "seed"):
            val = getattr(self, key)
            if val is not None:
                toks.append(f"{key}={val}")
        if self.timeout is not None:
            toks.append(f"timeout={_fmt_num(self.timeout)}")
        toks.extend(f"{k}={v}" for k, v in self.params)
        return toks


@dataclass
class Campaign:
    """A named list of experiments plus campaign-wide settings."""

    name: str
    experiments: List[Experiment] = field(default_factory=list)
    seed: int = 0
    timeout: Optional[float] = None
    filename: str = field(default="<spec>", compare=False)

    def __iter__(self) -> Iterator[Experiment]:
        return iter(self.experiments)

    def __len__(self) -> int:
        return len(self.experiments)

    def ids(self) -> List[str]:
        return [e.id for e in self.experiments]

    def get(self, exp_id: str) -> Experiment:
        """The experiment with this id; KeyError if there is none."""
        for e in self.experiments:
            if e.id == exp_id:
                return e
        raise KeyError(exp_id)

    def select(self, patterns: Union[str, Iterable[str]]) -> "Campaign":
        """A copy keeping experiments whose id matches a glob pattern."""
        if isinstance(patterns, str):
            patterns = [patterns]
        pats = list(patterns)
        keep = [e for e in self.experiments
                if any(fnmatch.fnmatchcase(e.id, p) for p in pats)]
        return Campaign(self.name, keep, self.seed, self.timeout, self.filename)

    def seed_for(self, exp: Experiment) -> int:
        """The 32-bit seed for exp's probability trigger: its own, or one
        derived from the campaign seed and its id (same on every worker)."""
        if exp.seed is not None:
            return exp.seed & 0xFFFFFFFF
        return zlib.crc32(f"{self.seed}/{exp.id}".encode()) & 0xFFFFFFFF

    def timeout_for(self, exp: Experiment, default: Optional[float] = None) -> Optional[float]:
        """Seconds allowed for exp: its own, the campaign's, or `default`."""
        if exp.timeout is not None:
            return exp.timeout
        if self.timeout is not None:
            return self.timeout
        return default


def known_faults(table: Optional[ExpectTable] = None) -> Tuple[str, ...]:
    """Fault types a table knows (string keys and the fault of pair keys)."""
    table = DEFAULT_EXPECT if table is None else table
    seen: Dict[str, None] = {}
    for key in table:
        seen[key[1] if isinstance(key, tuple) else key] = None
    return tuple(seen)


def default_expect(exp: Experiment, table: Optional[ExpectTable] = None) -> str:
    """The expected outcome of exp by the table (exp.expect is ignored)."""
    table = DEFAULT_EXPECT if table is None else table
    entry = table.get((exp.service, exp.fault))
    if entry is None:
        entry = table.get(exp.fault)
    if entry is None:
        raise KeyError(f"no default expectation for fault {exp.fault!r}")
    if callable(entry):
        out = entry(exp)
    elif isinstance(entry, Mapping):
        out = entry.get(exp.mode, entry.get("*"))
        if out is None:
            raise KeyError(f"no default expectation for fault {exp.fault!r} "
                           f"in mode {exp.mode!r}")
    else:
        out = entry
    if any(one not in OUTCOMES for one in str(out).split(",")):
        raise ValueError(f"expectation table gives {out!r} for {exp.fault!r}, "
                         f"not one of {', '.join(OUTCOMES)}")
    return out


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
                if not _NAME_RE.match(val):
                    raise ValueError(f"bad site name {val!r}")
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
                if not 1 <= n <= 1000:
                    raise ValueError(f"bad number {val!r} for period (heartbeat ticks, 1..1000)")
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
        toks = raw.split("#", 1)[0].split()
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
