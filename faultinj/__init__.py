"""faultinj: host side of the fault-injection testbed (QEMU, GDB stub, ELF, events)."""

from . import exitcodes
from .events import (FRAME, Event, EventFieldError, EventParseError, EventStream,
                     EventStreamClosed, looks_forged, parse_line, parse_recorded,
                     parse_text)
from .qemu import Qemu, QemuError, RunResult, close_all, run
from .gdbstub import GdbClient, GdbConnectionError, GdbError, GdbTimeout
from .elfsyms import ElfFormatError, ElfImage, FaultSite

__all__ = [
    "exitcodes",
    "FRAME", "Event", "EventFieldError", "EventParseError", "EventStream",
    "EventStreamClosed", "looks_forged", "parse_line", "parse_recorded", "parse_text",
    "Qemu", "QemuError", "RunResult", "close_all", "run",
    "GdbClient", "GdbConnectionError", "GdbError", "GdbTimeout",
    "ElfFormatError", "ElfImage", "FaultSite",
]
