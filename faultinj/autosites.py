"""The automatic basic-block fault sites of one ELF, read from the ELF alone.

The fi_blocks GCC plugin (os/plugin/fi_blocks.cc) recorded the address of
the start of every basic block in the non-allocated section .fi_blocks. A
site's block is the code from there to the next site (or the end of the
function).

A site is named by its function and the block's index in it, from 0 in
address order: `kv_put#3` (the binary is the spec line's service, or the
kernel). An edit elsewhere moves the address but not the name, so an
experiment keeps its id across builds and two builds' campaigns compare
experiment by experiment. Where one binary holds several functions of one
name (static functions of two files, or one file built twice, as the
kernel's IPC path is: do_send), each is numbered by its place in the link
order, the same in every build: `do_send~1#0`, `do_send~2#0`; the bare name
is then refused as ambiguous. `@<hex address>` still names a site of one
build (the guest's own name for it, in fi_fired events and `service fi`).

For each fault type that acts on an instruction (contract/guest_host.def:
flip_branch ... stuck_loop) this finds the instruction of the block it acts
on, and what the kernel needs to apply it (kernel/fi_auto.c): the target's
address and length, an operand (a register, or a memory operand's base,
index and scale) and a displacement. A type with no fitting instruction in
the block does not apply there. crash and hang apply at every site.

Function, file and line come from the symbol table and DWARF (objdump,
addr2line: binutils; pyelftools for the section). Results are cached per
ELF (path, size, mtime).
"""

import dataclasses
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from . import contract

SECTION = ".fi_blocks"
OPND_REG = contract.CONSTS["FI_OPND_REG"]
OPND_MEM = contract.CONSTS["FI_OPND_MEM"]
REG_NONE = contract.CONSTS["FI_REG_NONE"]
# the contract's types for automatic sites (contract/guest_host.def, kind
# auto): those that act nowhere else the kernel applies at an instruction of
# the block (fi_auto_acts_on_insn); the others (crash, hang) it does at the
# site itself, at any site
INSN_TYPES = tuple(t for t in contract.types_at("auto") if contract.FAULT_KINDS[t] == ("auto",))
HOOK_TYPES = tuple(t for t in contract.types_at("auto") if t not in INSN_TYPES)

REGS = {"eax": 0, "ecx": 1, "edx": 2, "ebx": 3, "esp": 4, "ebp": 5, "esi": 6, "edi": 7,
        "ax": 0, "cx": 1, "dx": 2, "bx": 3, "bp": 5, "si": 6, "di": 7,
        "al": 0, "cl": 1, "dl": 2, "bl": 3}
JCC = {"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja", "js", "jns", "jp", "jnp", "jl", "jge",
       "jle", "jg"}
# instructions whose last operand, when memory, is written (no_store)
STORES = re.compile(r"^(mov[bwl]?|add[bwl]?|sub[bwl]?|and[bwl]?|or[bwl]?|xor[bwl]?|inc[bwl]?|"
                    r"dec[bwl]?|neg[bwl]?|not[bwl]?|shl[bwl]?|shr[bwl]?|sar[bwl]?)$")
_LINE = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(\S+)?\s*(.*)$")
_FUNC = re.compile(r"^([0-9a-f]+) <(.+)>:$")
_MEM = re.compile(r"^(?:%[cdefgs]s:)?(-?0x[0-9a-f]+|-?\d+)?\((%[a-z]+)?(?:,(%[a-z]+)(?:,(\d))?)?\)$")


@dataclass
class Insn:
    addr: int
    length: int
    op: str
    args: List[str]
    raw: bytes


@dataclass
class AutoSite:
    binary: str
    addr: int
    function: str
    file: str
    line: int
    insns: int                                   # instructions in the block
    first: int                                   # the first byte of its first instruction
    targets: Dict[str, Tuple[int, int, int, int]] = field(default_factory=dict)
    symbol: str = ""                             # function, ~K when the name is shared
    index: int = 0                               # the block's place in its function

    @property
    def name(self) -> str:
        """The symbolic name a spec uses: function#block."""
        return f"{self.symbol or self.function}#{self.index}"

    @property
    def marker(self) -> str:
        """The address name of this build, as the guest names the site."""
        return f"@{self.addr:x}"

    def faults(self) -> List[str]:
        return list(HOOK_TYPES) + [t for t in INSN_TYPES if t in self.targets]

    def shell_command(self, fault: str, proc: str = "") -> str:
        """The `service fi` line that arms fault here from the OS's shell. A
        program file (started later with `run`) and the kernel are not
        running services, which `service fi` refuses unless told -pending."""
        from .bootimage import SYSTEM
        who = proc or self.binary
        running = [m for m in SYSTEM if isinstance(m, str)]
        line = f"service fi {'' if who in running else '-pending '}{who} {self.marker} {fault}"
        if fault in self.targets:
            a, n, o, d = self.targets[fault]
            line += f" at={a:#x} len={n} opnd={o:#x} disp={d}"
        return line

    def as_dict(self) -> dict:
        return {"binary": self.binary, "site": self.name, "marker": self.marker, "kind": "auto",
                "addr": self.addr,
                "function": self.function, "file": self.file, "line": self.line,
                "insns": self.insns, "faults": self.faults(),
                "shell": {f: self.shell_command(f) for f in self.faults()},
                "targets": {t: {"addr": a, "len": n, "opnd": o, "disp": d}
                            for t, (a, n, o, d) in self.targets.items()}}


def _split_args(s: str) -> List[str]:
    s = s.split("#")[0].strip()
    s = re.sub(r"\s*<[^>]*>", "", s)
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def disassemble(path: str):
    """(functions {addr: name}, [Insn]) of the ELF's code, from objdump."""
    out = subprocess.run(["objdump", "-d", "-w", path], check=True, capture_output=True,
                         text=True).stdout
    funcs, insns = {}, []
    for line in out.splitlines():
        m = _FUNC.match(line)
        if m:
            funcs[int(m.group(1), 16)] = m.group(2)
            continue
        m = _LINE.match(line)
        if not m or not m.group(3):
            continue
        raw = bytes.fromhex(m.group(2).replace(" ", ""))
        op = m.group(3)
        rest = m.group(4)
        if op in ("lock", "rep", "repz", "repnz", "data16", "cs", "ds", "es", "ss", "fs", "gs"):
            op, _, rest = (rest + " ").partition(" ")
            op = "prefixed_" + op
        insns.append(Insn(int(m.group(1), 16), len(raw), op, _split_args(rest), raw))
    return funcs, insns


def _reg(a: str) -> Optional[int]:
    return REGS.get(a[1:]) if a.startswith("%") else None


def _mem(a: str):
    """(base, index, log2 scale, disp) of a memory operand, or None."""
    m = _MEM.match(a)
    if m:
        base = _reg(m.group(2)) if m.group(2) else REG_NONE
        index = _reg(m.group(3)) if m.group(3) else REG_NONE
        if base is None or index is None:
            return None
        scale = {None: 0, "1": 0, "2": 1, "4": 2, "8": 3}[m.group(4)]
        return base, index, scale, int(m.group(1) or "0", 0)
    if re.match(r"^(?:%[cdefgs]s:)?0x[0-9a-f]+$", a):
        return REG_NONE, REG_NONE, 0, int(a.split(":")[-1], 16)
    return None


def _is_32(i: Insn) -> bool:
    return i.op.endswith("l") or any(a in ("%eax", "%ecx", "%edx", "%ebx", "%ebp", "%esi", "%edi")
                                     for a in i.args)


def block_targets(block: List[Insn], kernel: bool) -> Dict[str, Tuple[int, int, int, int]]:
    """The instruction each instruction-level fault type acts on in this block."""
    t: Dict[str, Tuple[int, int, int, int]] = {}
    no_esp = {4} if kernel else set()           # ring 0 traps push no esp
    for i in block:
        if i.op.startswith("prefixed_") or i.op in ("nop", "xchg") or i.raw[:1] == b"\x66":
            continue
        here = (i.addr, i.length, 0, 0)
        t.setdefault("skip_insn", here)
        if i.op in JCC and len(i.args) == 1 and i.raw[0] in range(0x70, 0x80) or \
                (i.op in JCC and i.raw[:1] == b"\x0f"):
            t.setdefault("flip_branch", here)
            target = int(i.args[0], 16) if i.args and re.match(r"^[0-9a-f]+$", i.args[0]) else None
            if target is not None and target <= i.addr:
                t.setdefault("stuck_loop", here)
            continue
        if i.op.startswith(("j", "call", "ret", "lea", "int", "iret", "hlt", "cli", "sti",
                            "leave", "pop", "cld", "std", "out", "in", "lgdt", "lidt", "ltr")):
            continue
        mems = [(n, m) for n, m in ((n, _mem(a)) for n, a in enumerate(i.args)) if m]
        if mems and "no_store" not in t and STORES.match(i.op) and mems[-1][0] == len(i.args) - 1 \
                and len(i.args) >= 1:
            t["no_store"] = here
        if mems and "null_ptr" not in t:
            base = mems[0][1][0]
            if base not in (REG_NONE, 4) and base not in no_esp:
                t["null_ptr"] = t["corrupt_ptr"] = (i.addr, i.length, OPND_REG | base << 4, 0)
        if "corrupt_int" not in t and i.args and not i.args[0].startswith("$"):
            src = i.args[0]
            r = _reg(src)
            if r is not None and r != 4:
                t["corrupt_int"] = (i.addr, i.length, OPND_REG | r << 4, 0)
            elif (m := _mem(src)) and _is_32(i) and not ({m[0], m[1]} & no_esp):
                base, index, scale, disp = m
                t["corrupt_int"] = (i.addr, i.length,
                                    OPND_MEM | base << 8 | index << 12 | scale << 16, disp)
    return t


def _lines(path: str, addrs: List[int]) -> List[Tuple[str, int]]:
    if not addrs:
        return []
    out = subprocess.run(["addr2line", "-e", path], input="\n".join(f"{a:x}" for a in addrs),
                         check=True, capture_output=True, text=True).stdout.splitlines()
    res = []
    for line in out:
        f, _, n = line.rpartition(":")
        n = n.split()[0] if n else "0"
        res.append((f, int(n) if n.isdigit() else 0))
    return res


_cache: Dict[Tuple[str, int, int], List[AutoSite]] = {}


def _symbols(funcs: Dict[int, str]) -> Dict[int, str]:
    """Each function start's symbolic name: its name, or name~K when K-1
    functions of that name come before it in the ELF. The linker lays
    objects out in the Makefile's order and each object's functions in
    its source order, so K does not change with an edit elsewhere."""
    seen: Dict[str, int] = {}
    total: Dict[str, int] = {}
    for name in funcs.values():
        total[name] = total.get(name, 0) + 1
    out = {}
    for a in sorted(funcs):
        name = funcs[a]
        seen[name] = seen.get(name, 0) + 1
        out[a] = f"{name}~{seen[name]}" if total[name] > 1 else name
    return out


def site_addresses(path: str) -> List[int]:
    """The .fi_blocks section's addresses, sorted, without repeats."""
    import struct
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        sec = ELFFile(f).get_section_by_name(SECTION)
        if sec is None:
            return []
        data = sec.data()
    return sorted(set(struct.unpack(f"<{len(data) // 4}I", data)))


# bump when AutoSite or how it is found changes: older stored tables are
# then made again
STORE_VERSION = 1


def _store_path(path: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(path)), "sites",
                        os.path.basename(path) + ".pickle")


def sites(path: str, root: Optional[str] = None) -> List[AutoSite]:
    """Every automatic site of the ELF at path, in address order; files
    relative to root if given."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns, root)
    if key in _cache:
        return _cache[key]
    base = _stored_sites(path, st)
    if root:
        base = [dataclasses.replace(s, file=os.path.relpath(s.file, root))
                if os.path.isabs(s.file) else s for s in base]
    _cache[key] = base
    return base


def _stored_sites(path: str, st) -> List[AutoSite]:
    """The sites of the ELF, found once per build of it: disassembling
    every binary and asking addr2line for every block took each campaign
    process (the check, the engine, every worker) ~3 s of CPU. Kept
    beside the build (BUILD/sites/NAME.elf.pickle) with the ELF's size and
    mtime; written whole, then renamed, so workers racing to write it
    read either none or a whole one."""
    import pickle
    key = (STORE_VERSION, st.st_size, st.st_mtime_ns)
    store = _store_path(path)
    try:
        with open(store, "rb") as f:
            got = pickle.load(f)
        if got[0] == key:
            return got[1]
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, IndexError, TypeError):
        pass
    result = _find_sites(path)
    try:
        os.makedirs(os.path.dirname(store), exist_ok=True)
        tmp = f"{store}.{os.getpid()}"
        with open(tmp, "wb") as f:
            pickle.dump((key, result), f)
        os.replace(tmp, store)
    except OSError:
        pass                         # a read-only build: found again next time
    return result


def _find_sites(path: str) -> List[AutoSite]:
    import bisect
    binary = os.path.basename(path)[:-4] if path.endswith(".elf") else os.path.basename(path)
    addrs = site_addresses(path)
    result: List[AutoSite] = []
    if addrs:
        funcs, insns = disassemble(path)
        starts = sorted(funcs)
        where = {i.addr: n for n, i in enumerate(insns)}
        # a label after a function's last instruction starts no block
        addrs = [a for a in addrs if a in where]
        lines = _lines(path, addrs)
        kernel = binary == "kernel"
        symbol = _symbols(funcs)
        count: Dict[int, int] = {}                   # blocks seen so far per function
        for k, a in enumerate(addrs):
            nxt = addrs[k + 1] if k + 1 < len(addrs) else 1 << 32
            fidx = bisect.bisect_right(starts, a) - 1
            fend = starts[fidx + 1] if fidx + 1 < len(starts) else 1 << 32
            block = []
            n = where[a]
            while n < len(insns) and insns[n].addr < min(nxt, fend):
                block.append(insns[n])
                n += 1
            f, ln = lines[k]
            fstart = starts[fidx] if fidx >= 0 else -1
            index = count.get(fstart, 0)
            count[fstart] = index + 1
            result.append(AutoSite(binary, a, funcs[fstart] if fidx >= 0 else "?", f, ln,
                                   len(block), insns[where[a]].raw[0],
                                   block_targets(block, kernel),
                                   symbol.get(fstart, "?"), index))
    return result


# per sites() list: its sites by address and by function symbol, so that
# naming a site costs a look-up, not a scan of thousands (every experiment
# names its site two or three times)
_index: Dict[int, Tuple[Dict[int, AutoSite], Dict[str, List[AutoSite]]]] = {}


def _indexed(all_sites: List[AutoSite]):
    ix = _index.get(id(all_sites))      # the lists live on in _cache: ids stay theirs
    if ix is None:
        by_sym: Dict[str, List[AutoSite]] = {}
        for s in all_sites:
            by_sym.setdefault(s.symbol, []).append(s)
        ix = ({s.addr: s for s in all_sites}, by_sym)
        _index[id(all_sites)] = ix
    return ix


def site_at(path: str, addr: int, root: Optional[str] = None) -> Optional[AutoSite]:
    return _indexed(sites(path, root))[0].get(addr)


# function#block, the function as objdump names it (GCC's clones have dots:
# translate.part.0, f.cold) with ~K when its name is shared
SYMBOLIC = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*(?:~[1-9][0-9]*)?)#([0-9]+)$")


def parse_name(site: str) -> Optional[int]:
    """The marker address of an automatic site's name "@HEX", else None."""
    if not site.startswith("@"):
        return None
    try:
        return int(site[1:], 16)
    except ValueError:
        return None


def is_name(site: Optional[str]) -> bool:
    """Whether site names an automatic site (function#block or @HEX), not
    a hand-placed one (kv.put): only those contain # or start with @."""
    return bool(site) and (site.startswith("@") or "#" in site)


def resolve(path: str, site: str) -> AutoSite:
    """The automatic site of the ELF at path that `site` names
    (function#block or @HEX); ValueError saying why there is none."""
    binary = os.path.basename(path)[:-4] if path.endswith(".elf") else os.path.basename(path)
    all_sites = sites(path)
    by_addr, by_sym = _indexed(all_sites)
    addr = parse_name(site)
    if addr is not None:
        if addr in by_addr:
            return by_addr[addr]
        raise ValueError(f"{site} is not an automatic site of {binary}")
    m = SYMBOLIC.match(site)
    if not m:
        raise ValueError(f"bad automatic site name {site!r} (function#block or @ADDR)")
    sym, index = m.group(1), int(m.group(2))
    mine = by_sym.get(sym, [])
    if not mine:
        shared = sorted({s.symbol for s in all_sites if s.symbol.split("~")[0] == sym})
        if shared:
            raise ValueError(f"{site}: {binary} has {len(shared)} functions named {sym} "
                             f"(name one: {', '.join(shared)})")
        import difflib
        near = difflib.get_close_matches(sym, sorted({s.symbol for s in all_sites}), 3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise ValueError(f"{site}: {binary} has no function {sym} with automatic sites{hint}")
    if index >= len(mine):
        raise ValueError(f"{site}: {sym} in {binary} has blocks #0 to #{len(mine) - 1}")
    return mine[index]


def target(path: str, site: str, fault: str) -> Optional[Tuple[int, int, int, int]]:
    """What the kernel needs to apply `fault` at `site` (function#block or
    @HEX) of this ELF: the slot's (taddr, tlen, opnd, disp); None for crash
    and hang. ValueError if the site is not one of the ELF's or the type
    does not apply there."""
    s = resolve(path, site)
    if fault in INSN_TYPES:
        if fault not in s.targets:
            raise ValueError(f"{fault} does not apply at {site} in {s.function} "
                             f"({', '.join(s.faults())} do)")
        return s.targets[fault]
    if fault not in HOOK_TYPES:
        raise ValueError(f"{fault} cannot be armed at an automatic site ({site})")
    if fault == "hang" and s.binary != "kernel":
        # spin in the program's fi_spin (os/lib/fi/fi.c): cheap to emulate
        spin = spin_address(path)
        return (spin, 0, 0, 0) if spin else None
    return None


_spin: Dict[Tuple[str, int], Optional[int]] = {}


def spin_address(path: str) -> Optional[int]:
    """fi_spin's address in the ELF, or None."""
    from .elfsyms import ElfImage
    key = (os.path.abspath(path), os.stat(path).st_mtime_ns)
    if key not in _spin:
        try:
            _spin[key] = ElfImage(path).address("fi_spin")
        except Exception:
            _spin[key] = None
    return _spin[key]
