"""Arm and disarm faults by writing the OS's fault control table through
QEMU's GDB stub.

The table (`struct fi_table` in os/include/fi.h, kernel symbol `fi_table`)
is identity-mapped in the kernel and read-only in every process, so one
memory write from the host arms a fault everywhere. The CPU is stopped
while the stub writes, so a hook never sees half a slot.

A hook tests only its own site's bit in the table's map of armed sites
(contract/guest_host.def, FI_SITE_BITS): arming sets the bits of the
slot's site as the kernel does when it arms (os/kernel/fi.c), so a fault
armed at one site leaves every other hook on its fast path. Arming reads
the table once and writes it back whole, header, map and slots, in one
memory write.
"""

import struct
from dataclasses import dataclass
from typing import List, Optional

from . import contract
from .elfsyms import ElfImage
from .gdbstub import GdbClient

# all from the contract (contract/guest_host.def), as the guest has them
FI_MAGIC = contract.CONSTS["FI_MAGIC"]
FI_SLOTS = contract.CONSTS["FI_SLOTS"]
NAME_MAX = contract.CONSTS["FI_NAME_MAX"]
PROC_MAX = contract.CONSTS["FI_PROC_MAX"]
HEADER = contract.struct_format("fi_table", upto="slot")   # magic armed generation step sites
assert HEADER.size == contract.offset("fi_table", "slot")
assert contract.field_names("fi_table")[:5] == ["magic", "armed", "generation", "step", "sites"]
SLOT = contract.struct_format("fi_slot")
TABLE_SIZE = contract.size("fi_table")
SITE_BITS = contract.CONSTS["FI_SITE_BITS"]
HASH_BASIS = contract.CONSTS["FI_SITE_HASH_BASIS"]
HASH_PRIME = contract.CONSTS["FI_SITE_HASH_PRIME"]
assert contract.field_names("fi_slot")[:2] == ["active", "type"]
TYPES = contract.FAULT_TYPES
TRIGGERS = contract.TRIGGERS
ERROR_TYPES = frozenset(contract.types_at("error"))      # what FI_ERROR sites take


class ArmError(ValueError):
    pass


def site_bit(name: str) -> int:
    """A site name's bit in the map of armed sites: the contract's FNV-1a
    over the name's FI_NAME_MAX bytes, NUL-padded (fi.h FI_SITE_BIT)."""
    h = HASH_BASIS
    for c in name.encode()[:NAME_MAX].ljust(NAME_MAX, b"\0"):
        h = ((h ^ c) * HASH_PRIME) & 0xFFFFFFFF
    return h % SITE_BITS


def site_group(name: str) -> Optional[str]:
    """The group pattern a hand site's arming also marks: "a.b.*" for
    "a.b.c" (None without a dot, or when the pattern outgrows a name)."""
    dot = name.rfind(".")
    if dot < 0 or dot + 2 >= NAME_MAX:
        return None
    return name[:dot + 1] + "*"


def slot_bits(site: str) -> List[int]:
    """The bits an armed slot at this site sets (the contract's rule):
    its own and its group's for a hand site, every one for "*", none for
    an automatic site "@ADDR"."""
    if site.startswith("@"):
        return []
    if site == "*":
        return list(range(SITE_BITS))
    group = site_group(site)
    return [site_bit(site)] + ([site_bit(group)] if group else [])


def site_map(sites) -> bytes:
    """fi_table.sites for these armed sites."""
    m = bytearray(SITE_BITS // 8)
    for site in sites:
        for b in slot_bits(site):
            m[b // 8] |= 1 << (b % 8)
    return bytes(m)


@dataclass
class Slot:
    index: int
    active: bool
    type: str
    trigger: str
    n: int
    k: int
    prob: int
    seed: int
    arg: int
    fired: int
    from_step: int
    site: str
    proc: str
    taddr: int = 0
    tlen: int = 0
    opnd: int = 0
    disp: int = 0


def pack_slot(site: str, fault: str, proc: str = "", trigger: str = "nth", n: int = 1,
              k: int = 1, prob: int = 0, seed: int = 0, arg: int = 0, from_step: int = 0,
              target=None) -> bytes:
    """target: for an automatic site ("@ADDR"), the (taddr, tlen, opnd, disp)
    of the instruction the fault acts on (faultinj/autosites.py)."""
    """The bytes of one active slot; every field checked as the kernel would."""
    if fault not in TYPES[1:]:
        raise ArmError(f"unknown fault type {fault!r} (known: {', '.join(TYPES[1:])})")
    if trigger not in TRIGGERS:
        raise ArmError(f"unknown trigger {trigger!r} (known: {', '.join(TRIGGERS)})")
    site_b, proc_b = site.encode(), proc.encode()
    if not site_b or len(site_b) >= NAME_MAX:
        raise ArmError(f"site name must be 1..{NAME_MAX - 1} bytes: {site!r}")
    if len(proc_b) >= PROC_MAX:
        raise ArmError(f"process name must be under {PROC_MAX} bytes: {proc!r}")
    if trigger == "prob" and not 0 <= prob <= 1_000_000:
        raise ArmError("prob is in parts per million, 0..1000000")
    if trigger == "nth" and n < 1:
        raise ArmError("nth counts hits from 1")
    if k < 1:
        raise ArmError("k (times it may fire) must be at least 1")
    if from_step < 0:
        raise ArmError("from_step is a scenario step number, >= 0")
    taddr, tlen, opnd, disp = target or (0, 0, 0, 0)
    return SLOT.pack(1, TYPES.index(fault), TRIGGERS[trigger], n, k, prob, seed, arg, 0, from_step,
                     site_b, proc_b, taddr, tlen, opnd, disp & 0xffffffff)


def unpack_slot(index: int, data: bytes) -> Slot:
    (active, typ, trig, n, k, prob, seed, arg, fired, from_step, site, proc,
     taddr, tlen, opnd, disp) = SLOT.unpack(data)
    trig_name = {v: k_ for k_, v in TRIGGERS.items()}.get(trig, str(trig))
    return Slot(index, bool(active), TYPES[typ] if typ < len(TYPES) else str(typ), trig_name,
                n, k, prob, seed, arg, fired, from_step, site.split(b"\0")[0].decode(errors="replace"),
                proc.split(b"\0")[0].decode(errors="replace"), taddr, tlen, opnd, disp)


class FaultTable:
    """The guest's fault control table, reached through a GdbClient with
    the guest stopped. Every change is one read of the whole table and one
    write of it back: two stub round trips, however many faults."""

    def __init__(self, gdb: GdbClient, kernel: ElfImage):
        self.gdb = gdb
        self.base = kernel.address("fi_table")

    def _slot_addr(self, i: int) -> int:
        return self.base + HEADER.size + i * SLOT.size

    def _read(self):
        """(header fields, [raw slot bytes]) of the table as it is now."""
        raw = self.gdb.read_memory(self.base, TABLE_SIZE)
        head = list(HEADER.unpack_from(raw))
        slots = [raw[HEADER.size + i * SLOT.size:HEADER.size + (i + 1) * SLOT.size]
                 for i in range(FI_SLOTS)]
        if head[0] != FI_MAGIC:
            raise ArmError(f"fault table not initialized (magic {head[0]:#x}): is the kernel up?")
        return head, slots

    def _write(self, head, slots):
        """Write the table back whole: the count, the generation and the map
        of armed sites follow the slots, as the kernel's recount does."""
        live = [unpack_slot(i, s) for i, s in enumerate(slots)]
        magic, _, gen, step, _ = head
        data = HEADER.pack(magic, sum(s.active for s in live), (gen + 1) & 0xFFFFFFFF, step,
                           site_map(s.site for s in live if s.active)) + b"".join(slots)
        assert len(data) == TABLE_SIZE
        self.gdb.write_memory(self.base, data)

    def header(self):
        magic, armed, gen, _, _ = HEADER.unpack(self.gdb.read_memory(self.base, HEADER.size))
        return magic, armed, gen

    def sites(self) -> bytes:
        """The map of armed sites as the guest has it."""
        return HEADER.unpack(self.gdb.read_memory(self.base, HEADER.size))[4]

    def slots(self) -> List[Slot]:
        raw = self.gdb.read_memory(self._slot_addr(0), SLOT.size * FI_SLOTS)
        return [unpack_slot(i, raw[i * SLOT.size:(i + 1) * SLOT.size]) for i in range(FI_SLOTS)]

    def arm(self, site: str, fault: str, **kw) -> int:
        return self.arm_many([dict(site=site, fault=fault, **kw)])[0]

    def arm_many(self, specs) -> List[int]:
        """Arm several faults (FaultTable.arm keyword sets) at once: one read,
        one write. Returns their slot numbers; nothing is written if any is
        refused or they do not all fit."""
        packed = [pack_slot(**spec) for spec in specs]
        head, slots = self._read()
        free = [i for i, s in enumerate(slots) if not SLOT.unpack(s)[0]]
        if len(packed) > len(free):
            raise ArmError(f"all fault slots are in use ({len(free)} free, "
                           f"{len(packed)} to arm)")
        for i, data in zip(free, packed):
            slots[i] = data
        if packed:
            self._write(head, slots)
        return free[:len(packed)]

    def disarm(self, index: Optional[int] = None):
        head, slots = self._read()
        for i in range(FI_SLOTS):
            if index is None or i == index:
                slots[i] = struct.pack("<I", 0) + slots[i][4:]
        self._write(head, slots)
