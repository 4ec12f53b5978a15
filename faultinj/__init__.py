"""faultinj: host side of the fault-injection testbed (QEMU, GDB stub, ELF, events)."""

from . import exitcodes
from .events import (Event, EventFieldError, EventParseError, EventStream,
                     EventStreamClosed, parse_line, parse_text)
from .qemu import Qemu, QemuError, RunResult, close_all, run
from .gdbstub import GdbClient, GdbConnectionError, GdbError, GdbTimeout
from .elfsyms import ElfFormatError, ElfImage, FaultSite

__all__ = [
    "exitcodes",
    "Event", "EventFieldError", "EventParseError", "EventStream",
    "EventStreamClosed", "parse_line", "parse_text",
    "Qemu", "QemuError", "RunResult", "close_all", "run",
    "GdbClient", "GdbConnectionError", "GdbError", "GdbTimeout",
    "ElfFormatError", "ElfImage", "FaultSite",
]
