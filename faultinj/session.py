"""One booted OS with its GDB stub attached: arm faults, type commands,
watch events, read symbols. The unit every fault experiment uses.

QEMU starts with its CPU stopped; we run it to the kernel's fi_boot_hook
(a hardware breakpoint, since the loader rewrites memory), where the fault
table exists and no process has run. Faults armed there make a run fully
deterministic under -icount: same image, same faults, same event trace.
"""

import time
from typing import Dict, Iterable, Mapping, Optional, Sequence

from . import bootimage
from .arming import FaultTable
from .console import Console
from .elfsyms import ElfImage
from .gdbstub import GdbClient
from .qemu import Qemu

_kernel_cache = {}


def kernel_image() -> ElfImage:
    path = bootimage.kernel_path()
    if path not in _kernel_cache:
        _kernel_cache[path] = ElfImage(path)
    return _kernel_cache[path]


class Session:
    def __init__(self, modules: Sequence, *, timeout: float = 120.0,
                 arm_at_boot: Iterable[Mapping] = (), wait_ready: bool = True, **qemu_kw):
        self.kernel = kernel_image()
        self.q = Qemu(bootimage.kernel_path(), bootimage.modules(modules), gdb=True,
                      timeout=timeout, **qemu_kw)
        self.console = Console(self.q)
        self.gdb: Optional[GdbClient] = None
        self.armed = []
        # host seconds of each phase: start (QEMU up, stub attached, run to
        # the boot hook) and arm (faults written); the caller adds the rest
        self.timing: Dict[str, float] = {}
        t0 = time.monotonic()
        try:
            self.q.start()
            self.gdb = GdbClient(self.q.gdb_socket, timeout=30).connect()
            hook = self.kernel.address("fi_boot_hook")
            self.gdb.set_breakpoint(hook, hw=True)
            self.gdb.cont()
            self.gdb.wait_stop(60)
            self.gdb.remove_breakpoint(hook, hw=True)
            t1 = time.monotonic()
            self.table = FaultTable(self.gdb, self.kernel)
            self.armed += self.table.arm_many(list(arm_at_boot))
            self.gdb.cont()
            self.timing.update(start=t1 - t0, arm=time.monotonic() - t1)
            if wait_ready:
                self.console.wait_ready(60)
        except BaseException:
            self.close()
            raise

    def arm(self, site: str, fault: str, **kw) -> int:
        """Stop the guest, write one slot, let it go on."""
        self.gdb.interrupt(10)
        try:
            slot = self.table.arm(site, fault, **kw)
        finally:
            self.gdb.cont()
        self.armed.append(slot)
        return slot

    def disarm(self, slot: Optional[int] = None):
        self.gdb.interrupt(10)
        try:
            self.table.disarm(slot)
        finally:
            self.gdb.cont()

    def read_symbol_u32(self, binary_elf: ElfImage, name: str) -> int:
        self.gdb.interrupt(10)
        try:
            return self.gdb.read_u32(binary_elf.address(name))
        finally:
            self.gdb.cont()

    def inspect(self, fn):
        """Run fn(KernelView) with the guest stopped; returns its result."""
        from .inspect import KernelView
        self.gdb.interrupt(10)
        try:
            return fn(KernelView(self.gdb, self.kernel))
        finally:
            self.gdb.cont()

    def rs_services(self):
        """RS's public service table, read from RS's memory by symbol."""
        rs = ElfImage(bootimage.program_path("rs"))
        return self.inspect(lambda kv: kv.rs_services(rs))

    @property
    def events(self):
        return self.q.serial.events

    def close(self):
        if self.gdb is not None:
            try:
                self.gdb.close()
            except Exception:
                pass
        self.q.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
