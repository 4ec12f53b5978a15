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


# producers (the `@a,b` word of a kind): process names, as the kernel
# keeps them (p->name), plus two classes. A user cannot choose a process
# name: PM names a user process after its program file (noexec modules
# only, never a boot service's), RS names a service after its label in
# its own privilege table (os/servers/rs/table.c).
ANY = "*"        # any process: kinds a user program may print as its own
SYS = "sys"      # any process with a privilege of its own (not a user's)


@dataclass
class Kind:
    name: str
    required: Set[str] = field(default_factory=set)
    optional: Set[str] = field(default_factory=set)
    producers: List[str] = field(default_factory=list)

    def may_emit(self, who: str, is_user: bool = False) -> bool:
        """May process `who` emit this kind? is_user: it runs with a user
        privilege (only the kernel knows; the host passes False)."""
        if ANY in self.producers or who in self.producers:
            return True
        return SYS in self.producers and not is_user and who != "kernel"

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
            if w.startswith("@"):
                if k.producers:
                    raise ValueError(f"{path}:{no}: {k.name}: two producer lists")
                k.producers = [x for x in w[1:].split(",") if x]
                if not k.producers or not all(re.fullmatch(r"[a-z0-9_]+|\*", x) for x in k.producers):
                    raise ValueError(f"{path}:{no}: {k.name}: bad producer list {w}")
                continue
            (k.optional if w.startswith("?") else k.required).add(w.lstrip("?"))
        if not k.producers:
            raise ValueError(f"{path}:{no}: {k.name}: no producers (@name,...)")
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


# which processes run the code of a source file: a service's own files run
# as its label, a command's or test program's as its name; shared code as
# every process that links or includes it (the Makefile's SRCS_*)
_SHARED = {
    "os/commands/wl/client.c": {"wl", "scenario"},
    "os/servers/victim.h": {"kv", "echo"},
    "os/servers/gcov_hook.h": {SYS},
    "os/commands/service/service.c": {"tty"},
    "os/tests/bigbss.h": {"bss1m", "bss3m", "bss24m", "bss2g"},
}


def file_producers(f: str) -> Set[str]:
    """The producers (process names, or SYS) whose code a file under os/ is."""
    if f in _SHARED:
        return _SHARED[f]
    parts = f.split("/")
    if parts[1] == "kernel":
        return {"kernel"}
    if parts[1] == "lib":
        return {SYS}                       # libsys/sef: linked into every service
    if parts[1] == "servers" and len(parts) > 3:
        # later versions of kv run under kv's label
        return {"kv" if parts[2] in ("kv2", "kv3") else parts[2]}
    if parts[1] == "commands" and len(parts) > 3:
        return {parts[2]}
    if parts[1] == "tests":
        return {parts[2].rsplit(".", 1)[0]}
    return set()
