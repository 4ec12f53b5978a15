"""What each fault type is expected to come out as by default (the
protocol), and how an experiment's default is looked up: a table of fault
-> outcome | {mode: outcome} | callable(Experiment) -> outcome, which a
caller may replace. Every fault type of the guest's contract has an entry
(tests/test_contract.py)."""

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

# fault -> outcome | {mode: outcome} | callable(Experiment) -> outcome
ExpectEntry = Union[str, Mapping[str, str], Callable[[Any], str]]
ExpectTable = Mapping[Union[str, Tuple[str, str]], ExpectEntry]

DEFAULT_EXPECT: Dict[str, ExpectEntry] = {
    "crash": "recovered",
    "panic": "recovered",
    "hang": "recovered",
    "deadlock": "recovered",
    "stale_ping": "recovered",
    # a boot service whose init fails halts the system; a dynamic one is
    # brought down and not restarted
    # (a new version's init failing is rolled back; a restart's init failing
    # is restarted again)
    "init_fail": {"boot": "halted", "dynamic": "torn_down", "update": "rolled_back",
                  "restart": "recovered"},
    # an update whose prepare never finishes is aborted: the old version
    # goes on serving with its state, and RS answers the update with an error
    "lu_timeout": "rolled_back",
    "lu_ok": "recovered",
    # a fault the service takes in its stride is fine too, as long as no
    # client sees a wrong answer or loses state
    "error": "benign,recovered",
    "delay": "benign,recovered",
    "drop": "recovered",
    "bitflip": "benign,recovered",
    # EDFI-style faults at automatic basic-block sites: what recovery owes
    # a researcher is that the fault is absorbed or recovered from; any
    # other outcome (wrong answers, lost state, a hung client, a panic) is
    # what the campaign is there to find
    "flip_branch": "benign,recovered",
    "corrupt_int": "benign,recovered",
    "null_ptr": "benign,recovered",
    "corrupt_ptr": "benign,recovered",
    "skip_insn": "benign,recovered",
    "no_store": "benign,recovered",
    "stuck_loop": "benign,recovered",
}
FAULTS = tuple(DEFAULT_EXPECT)


def known_faults(table: Optional[ExpectTable] = None) -> Tuple[str, ...]:
    """Fault types a table knows (string keys and the fault of pair keys)."""
    table = DEFAULT_EXPECT if table is None else table
    seen: Dict[str, None] = {}
    for key in table:
        seen[key[1] if isinstance(key, tuple) else key] = None
    return tuple(seen)


def default_expect(exp, table: Optional[ExpectTable] = None) -> str:
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


