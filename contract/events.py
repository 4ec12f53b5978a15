"""The event schema (contract/events.def): every kind of event line the
guest prints, and its fields. The guest's emitters are checked against it
(tests/test_event_schema.py scans every event()/kevent() format in os/);
the host's parser (faultinj/events.py) marks a framed line whose kind or
fields it does not know as malformed, loudly, rather than reading it."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

DEF = Path(__file__).resolve().parent / "events.def"
ROOT = Path(__file__).resolve().parent.parent
# the fields every line has, written by the kernel
COMMON = {"t", "who", "ev"}


@dataclass
class Kind:
    name: str
    required: Set[str] = field(default_factory=set)
    optional: Set[str] = field(default_factory=set)

    @property
    def allowed(self) -> Set[str]:
        return self.required | self.optional | COMMON


def load(path: Path = DEF) -> Dict[str, Kind]:
    kinds: Dict[str, Kind] = {}
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] in kinds:
            raise ValueError(f"{path}:{no}: event kind {words[0]} defined twice")
        k = Kind(words[0])
        for w in words[1:]:
            (k.optional if w.startswith("?") else k.required).add(w.lstrip("?"))
        kinds[k.name] = k
    return kinds


# any call whose first argument is a literal event text (event, kevent,
# and helpers such as the forger test's as_event)
_CALL = re.compile(r'\b[a-z_]+\s*\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
_LIT = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FIELD = re.compile(r'(?:^|\s)([a-z_][a-z0-9_]*)=')


def _c_unescape(lit: str) -> str:
    """The text of a C string literal's body (the escapes events use)."""
    out, i = [], 0
    while i < len(lit):
        c = lit[i]
        if c == "\\" and i + 1 < len(lit):
            n = lit[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(n, n))
            i += 2
            if n == "x":                   # \xNN
                out[-1] = chr(int(lit[i:i + 2], 16))
                i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _keys(text: str) -> List[str]:
    """The keys of `key=value key="quoted \\" value" ...`, as the host's
    parser reads them."""
    keys, i = [], 0
    while i < len(text):
        while i < len(text) and text[i] in " \t":
            i += 1
        m = re.match(r"([a-z_][a-z0-9_]*)=", text[i:])
        if not m:
            while i < len(text) and text[i] not in " \t":
                i += 1
            continue
        keys.append(m.group(1))
        i += m.end()
        if i < len(text) and text[i] == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        else:
            while i < len(text) and text[i] not in " \t":
                i += 1
    return keys


def emitters(root: Path = ROOT) -> Iterator[Tuple[str, int, str, List[str]]]:
    """(file, line, kind, fields) of every literal event text in os/. Texts
    that set t= or who= are left out: the kernel refuses them (the forger
    test's attempts), so they never become events."""
    for p in sorted(list((root / "os").rglob("*.c")) + list((root / "os").rglob("*.h"))):
        text = p.read_text(encoding="utf-8", errors="replace")
        for m in _CALL.finditer(text):
            fmt = _c_unescape("".join(_LIT.findall(m.group(1))))
            if not fmt.startswith("ev="):
                continue                   # plain output, not an event
            keys = _keys(fmt)
            if "t" in keys or "who" in keys:
                continue
            yield (str(p.relative_to(root)), text.count("\n", 0, m.start()) + 1,
                   keys[0] and re.match(r"ev=([a-z_0-9]+)", fmt).group(1),
                   [k for k in keys if k != "ev"])
