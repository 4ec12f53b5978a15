"""Read contract/guest_host.def: the one definition of what guest and host
agree on (see the file's header). Used by contract/gen.py for the C side
and by faultinj/contract.py for the host."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

DEF = Path(__file__).resolve().parent / "guest_host.def"


class ContractError(ValueError):
    pass


@dataclass
class Field:
    name: str
    offset: int
    size: int
    kind: str


@dataclass
class Struct:
    name: str
    size: int
    fields: List[Field] = field(default_factory=list)


@dataclass
class FaultType:
    name: str
    number: int
    cname: str
    kinds: Tuple[str, ...]      # the kinds of site it acts at (sitekind names)
    fail_stop: bool
    text: str


@dataclass
class Contract:
    consts: Dict[str, int] = field(default_factory=dict)
    texts: Dict[str, str] = field(default_factory=dict)                      # name -> text
    sitekinds: Dict[str, str] = field(default_factory=dict)                  # name -> text
    types: List[FaultType] = field(default_factory=list)
    triggers: List[Tuple[str, int, str]] = field(default_factory=list)
    exits: List[Tuple[str, int, str]] = field(default_factory=list)          # cname, code, outcome
    structs: Dict[str, Struct] = field(default_factory=dict)


def _int(text: str, where: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ContractError(f"{where}: not a number: {text!r}") from None


def parse(text: str, name: str = str(DEF)) -> Contract:
    c = Contract()
    for no, line in enumerate(text.splitlines(), 1):
        where = f"{name}:{no}"
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        kind, args = words[0], words[1:]
        if kind == "const" and len(args) == 2:
            c.consts[args[0]] = _int(args[1], where)
        elif kind == "text" and len(args) >= 2:
            text = " ".join(args[1:])
            if '"' in text or "\\" in text:
                raise ContractError(f"{where}: a text holds no quote or backslash")
            c.texts[args[0]] = text
        elif kind == "sitekind" and len(args) >= 2:
            c.sitekinds[args[0]] = " ".join(args[1:])
        elif kind == "type" and len(args) >= 5:
            kinds = () if args[3] == "-" else tuple(args[3].split(","))
            for k in kinds:
                if k not in c.sitekinds:
                    raise ContractError(f"{where}: unknown kind of site {k!r} (a sitekind "
                                        f"line declares it: {', '.join(c.sitekinds)})")
            if args[4] not in ("failstop", "-"):
                raise ContractError(f"{where}: STOP is 'failstop' or '-', not {args[4]!r}")
            c.types.append(FaultType(args[0], _int(args[1], where), args[2], kinds,
                                     args[4] == "failstop", " ".join(args[5:])))
        elif kind == "trigger" and len(args) == 3:
            c.triggers.append((args[0], _int(args[1], where), args[2]))
        elif kind == "exit" and len(args) == 3:
            c.exits.append((args[0], _int(args[1], where), args[2]))
        elif kind == "struct" and len(args) == 2:
            c.structs[args[0]] = Struct(args[0], _int(args[1], where))
        elif kind == "field" and len(args) == 5:
            s = c.structs.get(args[0])
            if s is None:
                raise ContractError(f"{where}: field of unknown struct {args[0]}")
            s.fields.append(Field(args[1], _int(args[2], where), _int(args[3], where), args[4]))
        else:
            raise ContractError(f"{where}: cannot read: {line.strip()!r}")
    numbers = [t.number for t in c.types]
    if numbers != list(range(len(numbers))):
        raise ContractError(f"{name}: fault types must be numbered 0, 1, 2, ... in order")
    for s in c.structs.values():
        end = 0
        for f in s.fields:
            if f.offset < end:
                raise ContractError(f"{name}: {s.name}.{f.name} overlaps the field before it")
            end = f.offset + f.size
        if end > s.size:
            raise ContractError(f"{name}: {s.name}'s fields run past its size")
    return c


def load() -> Contract:
    return parse(DEF.read_text(encoding="utf-8"))
