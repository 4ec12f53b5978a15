"""The model of a campaign spec: its constants and number ranges, the
error it raises (SpecError), and the objects a parsed spec is made of:
Trigger, Experiment, Campaign. campaigns/spec.py reads spec files into
them; campaigns/spec_write.py writes and generates them."""

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


# how the victim meets the fault: a boot service (boot), one started with
# `service up` (dynamic), or one live-updated (update) or restarted
# (restart) right after the fault goes live, so the fault hits its prepare,
# its new version's init or its restore
MODES = ("boot", "dynamic", "update", "restart")
POLICIES = ("reset", "restart")
TRIGGER_KINDS = ("nth", "times", "prob")


from .expectations import DEFAULT_EXPECT, ExpectEntry, ExpectTable, FAULTS  # noqa: E402,F401

# keys an experiment line may carry, in the order dump() writes them
KNOWN_KEYS = ("site", "trigger", "expect", "mode", "arg", "workload",
              "policy", "period", "seed", "steps", "timeout")
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

# '#' and '~' for automatic sites (kv_put#3, do_send~2#0): inside a word
# neither is special to a shell, and a spec comment starts only at a '#'
# that begins a word
_WORD_RE = re.compile(r"[A-Za-z0-9_.,:/+@%#~-]+\Z")
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
    # the scenario's steps, comma-separated (campaigns/steps.py); None: the
    # steps campaigns/scenario.py plans from the fault
    steps: Optional[str] = None
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
        parts.extend(self._optional_keys())
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
            "steps": self.steps, "params": dict(self.params),
        }

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> "Experiment":
        """The experiment a result record (journal, results.json) was made
        from: as_dict's fields read back, so a record is enough to judge
        its trace again (campaigns/reverdict.py)."""
        params = r.get("params") or {}
        return cls(service=str(r["service"]), fault=str(r["fault"]), site=r.get("site"),
                   trigger=Trigger.parse(str(r.get("trigger") or "nth:1")),
                   expect=str(r.get("expected") or ""), mode=str(r.get("mode") or "boot"),
                   arg=r.get("arg"), workload=r.get("workload"), policy=r.get("policy"),
                   seed=r.get("seed"), timeout=r.get("timeout"), period=r.get("period"),
                   steps=r.get("steps"),
                   params=tuple(sorted((str(k), str(v)) for k, v in dict(params).items())))

    def to_line(self) -> str:
        """This experiment as one spec line (always names its expectation)."""
        return " ".join(self._tokens())

    def _optional_keys(self) -> List[str]:
        """key=value of the optional keys given, in the one order both the
        id and the spec line use."""
        return [f"{key}={getattr(self, key)}" for key in ("arg", "workload", "policy", "period", "seed", "steps")
                if getattr(self, key) is not None]

    def _tokens(self) -> List[str]:
        toks = [self.service, self.fault]
        if self.site is not None:
            toks.append(f"site={self.site}")
        if self.trigger != Trigger():
            toks.append(f"trigger={self.trigger}")
        toks.append(f"expect={self.expect}")
        if self.mode != "boot":
            toks.append(f"mode={self.mode}")
        toks.extend(self._optional_keys())
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
        """The experiment with this id; KeyError if there is none. Every
        experiment is looked up by id (the engine hands ids to workers):
        a scan per look-up made a 2,000-line campaign compute two million
        ids. The index is rebuilt when the list is no longer the one it
        was built from (same object, same length)."""
        ix = self.__dict__.get("_by_id")
        if ix is None or ix[0] is not self.experiments or ix[1] != len(self.experiments):
            by_id: Dict[str, Experiment] = {}
            for e in self.experiments:
                by_id.setdefault(e.id, e)          # the first, as the scan found
            ix = (self.experiments, len(self.experiments), by_id)
            self.__dict__["_by_id"] = ix
        e = ix[2].get(exp_id)
        if e is None:
            raise KeyError(exp_id)
        return e

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


