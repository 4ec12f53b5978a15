"""The host's side of the guest/host contract: contract/guest_host.def,
read once at import (the guest's side is generated from the same file
into build/gen/contract.h). Fault types (with the kinds of site each acts
at and whether it is fail-stop), triggers, the fault table's
layout, exit codes and RS's public table entry come from here; nothing
on the host restates them."""

import importlib.util
import struct
from pathlib import Path
from typing import Dict, FrozenSet, List, Tuple

_SRC = Path(__file__).resolve().parent.parent / "contract" / "contract.py"
_spec = importlib.util.spec_from_file_location("guest_host_contract", _SRC)
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)

C = _mod.load()
ContractError = _mod.ContractError
parse = _mod.parse                       # parse(text) -> a Contract, for checking a changed .def
DEF_TEXT: str = _mod.DEF.read_text(encoding="utf-8")

CONSTS: Dict[str, int] = dict(C.consts)
TEXTS: Dict[str, str] = dict(C.texts)
FAULT_TYPES: List[str] = [t.name for t in C.types]                 # index = number
FAULT_TEXT: Dict[str, str] = {t.name: t.text for t in C.types}
# the kinds of fault site (point, error, kernel, auto) and what each is
SITE_KINDS: Dict[str, str] = dict(C.sitekinds)
# fault type -> the kinds of site it acts at (an empty tuple for none)
FAULT_KINDS: Dict[str, Tuple[str, ...]] = {t.name: t.kinds for t in C.types}
# the fail-stop fault types (OSIRIS's fail-stop faultload)
FAIL_STOP: FrozenSet[str] = frozenset(t.name for t in C.types if t.fail_stop)
TRIGGERS: Dict[str, int] = {name: n for name, n, _ in C.triggers}
EXIT_CODES: Dict[str, int] = {cname: code for cname, code, _ in C.exits}
EXIT_OUTCOMES: Dict[int, str] = {code: outcome for _, code, outcome in C.exits}

_FMT = {"u32": "I", "i32": "i"}


def types_at(kind: str) -> List[str]:
    """The fault types that act at a kind of site, in contract order."""
    if kind not in SITE_KINDS:
        raise KeyError(f"{kind!r} is not a kind of site (known: {', '.join(SITE_KINDS)})")
    return [t for t in FAULT_TYPES if kind in FAULT_KINDS[t]]


def struct_format(name: str, upto: str = "") -> struct.Struct:
    """A struct.Struct for a contract struct made only of u32/i32/str fields,
    padding included, so unpacking follows the contract's offsets; with
    upto, only the fields before that one (a header, e.g. the fault table's
    before its slots)."""
    s = C.structs[name]
    fmt, at = "<", 0
    for f in s.fields:
        if upto and f.name == upto:
            return struct.Struct(fmt)
        if f.offset > at:
            fmt += f"{f.offset - at}x"
        fmt += _FMT[f.kind] if f.kind in _FMT else f"{f.size}s"
        at = f.offset + f.size
    if s.size > at:
        fmt += f"{s.size - at}x"
    st = struct.Struct(fmt)
    assert st.size == s.size, (name, st.size, s.size)
    return st


def field_names(name: str) -> List[str]:
    return [f.name for f in C.structs[name].fields]


def offset(struct_name: str, field_name: str) -> int:
    for f in C.structs[struct_name].fields:
        if f.name == field_name:
            return f.offset
    raise KeyError(f"{struct_name}.{field_name} is not in the contract")


def size(struct_name: str) -> int:
    return C.structs[struct_name].size
