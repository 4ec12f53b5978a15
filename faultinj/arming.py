"""Arm and disarm faults by writing the OS's fault control table through
QEMU's GDB stub.

The table (`struct fi_table` in os/include/fi.h, kernel symbol `fi_table`)
is identity-mapped in the kernel and read-only in every process, so one
memory write from the host arms a fault everywhere. The CPU is stopped
while the stub writes, so a hook never sees half a slot.
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
HEADER = contract.struct_format("fi_table", upto="slot")   # magic armed generation step
assert HEADER.size == contract.offset("fi_table", "slot")
SLOT = contract.struct_format("fi_slot")
assert contract.field_names("fi_slot")[:2] == ["active", "type"]
TYPES = contract.FAULT_TYPES
TRIGGERS = contract.TRIGGERS
ERROR_TYPES = frozenset(contract.types_at("error"))      # what FI_ERROR sites take


class ArmError(ValueError):
    pass


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
    """The guest's fault control table, reached through a GdbClient."""

    def __init__(self, gdb: GdbClient, kernel: ElfImage):
        self.gdb = gdb
        self.base = kernel.address("fi_table")

    def _slot_addr(self, i: int) -> int:
        return self.base + HEADER.size + i * SLOT.size

    def header(self):
        magic, armed, gen, _ = HEADER.unpack(self.gdb.read_memory(self.base, HEADER.size))
        return magic, armed, gen

    def slots(self) -> List[Slot]:
        raw = self.gdb.read_memory(self._slot_addr(0), SLOT.size * FI_SLOTS)
        return [unpack_slot(i, raw[i * SLOT.size:(i + 1) * SLOT.size]) for i in range(FI_SLOTS)]

    def _commit(self):
        magic, _, gen = self.header()
        if magic != FI_MAGIC:
            raise ArmError(f"fault table not initialized (magic {magic:#x}): is the kernel up?")
        armed = sum(1 for s in self.slots() if s.active)
        self.gdb.write_memory(self.base + 4, struct.pack("<II", armed, gen + 1))

    def arm(self, site: str, fault: str, **kw) -> int:
        data = pack_slot(site, fault, **kw)
        for s in self.slots():
            if not s.active:
                self.gdb.write_memory(self._slot_addr(s.index), data)
                self._commit()
                return s.index
        raise ArmError("all fault slots are in use")

    def disarm(self, index: Optional[int] = None):
        for s in self.slots():
            if index is None or s.index == index:
                self.gdb.write_u32(self._slot_addr(s.index), 0)
        self._commit()
