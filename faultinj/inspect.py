"""Read the running OS by symbol through QEMU's GDB stub: the kernel's
process table and counters, and any process's memory, such as RS's public
service table.

Kernel memory is identity-mapped in every address space, so kernel symbols
and physical memory read the same whatever process is current. A process's
own memory is found by walking its page directory (from the kernel's
`kdebug_info` map of the process table) on the host.
"""

import struct
from dataclasses import dataclass
from typing import Dict, List, Optional

from . import contract
from .elfsyms import ElfImage
from .gdbstub import GdbClient

KDEBUG = contract.struct_format("kdebug_info")   # os/include/kdebug.h
RTS_SLOT_FREE = 0x01
PAGE = 4096


class InspectError(RuntimeError):
    pass


@dataclass
class ProcInfo:
    slot: int
    endpoint: int
    rts: int
    pdir: int
    name: str
    dispatches: int


@dataclass
class ServiceInfo:
    label: str
    endpoint: int
    flags: int
    restarts: int
    period: int
    policy: str


class KernelView:
    def __init__(self, gdb: GdbClient, kernel: ElfImage):
        self.gdb = gdb
        self.kernel = kernel
        raw = gdb.read_memory(kernel.address("kdebug_info"), KDEBUG.size)
        (magic, version, self.table, self.size, self.entries, self.nr_tasks, self.off_nr,
         self.off_ep, self.off_rts, self.off_pdir, self.off_name, self.off_disp,
         self.ticks_addr) = KDEBUG.unpack(raw)
        if magic != contract.CONSTS["KDEBUG_MAGIC"] or version != contract.CONSTS["KDEBUG_VERSION"]:
            raise InspectError(f"kdebug_info not recognized (magic {magic:#x})")

    def ticks(self) -> int:
        return self.gdb.read_u32(self.ticks_addr)

    def read_symbol_u32(self, name: str) -> int:
        return self.gdb.read_u32(self.kernel.address(name))

    def processes(self) -> List[ProcInfo]:
        raw = self.gdb.read_memory(self.table, self.size * self.entries)
        out = []
        for i in range(self.entries):
            e = raw[i * self.size:(i + 1) * self.size]
            u32 = lambda off: struct.unpack_from("<I", e, off)[0]
            i32 = lambda off: struct.unpack_from("<i", e, off)[0]
            rts = u32(self.off_rts)
            if rts & RTS_SLOT_FREE:
                continue
            name = e[self.off_name:self.off_name + 16].split(b"\0")[0].decode(errors="replace")
            out.append(ProcInfo(i32(self.off_nr), i32(self.off_ep), rts, u32(self.off_pdir),
                                name, u32(self.off_disp)))
        return out

    def process(self, name: str) -> ProcInfo:
        for p in self.processes():
            if p.name == name:
                return p
        raise InspectError(f"no process named {name!r}")

    def _translate(self, pdir: int, va: int) -> int:
        pde = self.gdb.read_u32(pdir + (va >> 22) * 4)
        if not pde & 1:
            raise InspectError(f"{va:#x}: page table not present")
        pte = self.gdb.read_u32((pde & ~0xFFF) + ((va >> 12) & 0x3FF) * 4)
        if not pte & 1:
            raise InspectError(f"{va:#x}: page not present")
        return (pte & ~0xFFF) | (va & 0xFFF)

    def read_user(self, proc: ProcInfo, va: int, length: int) -> bytes:
        """Bytes of a process's virtual memory, page by page."""
        out = bytearray()
        while length > 0:
            n = min(length, PAGE - (va & 0xFFF))
            out += self.gdb.read_memory(self._translate(proc.pdir, va), n)
            va += n
            length -= n
        return bytes(out)

    def rs_services(self, rs: ElfImage) -> Dict[str, ServiceInfo]:
        """RS's public table, read from RS's own memory by symbol."""
        p = self.process("rs")
        entry, count, pub_off = struct.unpack("<3I", self.read_user(p, rs.address("rproc_layout"), 12))
        raw = self.read_user(p, rs.address("rproc"), entry * count)
        out = {}
        pub_st = contract.struct_format("rprocpub")     # struct rprocpub, as the contract has it
        names = contract.field_names("rprocpub")
        for i in range(count):
            pub = dict(zip(names, pub_st.unpack_from(raw, i * entry + pub_off)))
            label = pub["label"].split(b"\0")[0].decode(errors="replace")
            ep, flags, restarts = pub["endpoint"], pub["flags"], pub["restarts"]
            period, policy = pub["period"], pub["policy"]
            if flags & 1:
                out[label] = ServiceInfo(label, ep, flags, restarts, period,
                                         "reset" if policy == 0 else "restart")
        return out
