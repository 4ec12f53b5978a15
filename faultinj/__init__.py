"""faultinj: host side of the fault-injection testbed (QEMU, GDB stub, ELF, events)."""

import importlib

# the package's names, each from its module, imported when first used: a
# process that needs only faultinj.events (the report) does not load QEMU's,
# the GDB stub's and pyelftools' modules (80 ms)
_FROM = {
    "exitcodes": None,
    **dict.fromkeys(("FRAME", "Event", "EventFieldError", "EventParseError", "EventStream",
                     "EventStreamClosed", "looks_forged", "parse_line", "parse_recorded",
                     "parse_text"), "events"),
    **dict.fromkeys(("Qemu", "QemuError", "RunResult", "close_all", "run"), "qemu"),
    **dict.fromkeys(("GdbClient", "GdbConnectionError", "GdbError", "GdbTimeout"), "gdbstub"),
    **dict.fromkeys(("ElfFormatError", "ElfImage", "FaultSite"), "elfsyms"),
}


def __getattr__(name):
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    mod = importlib.import_module(f".{_FROM[name] or name}", __name__)
    return mod if _FROM[name] is None else getattr(mod, name)


__all__ = [
    "exitcodes",
    "FRAME", "Event", "EventFieldError", "EventParseError", "EventStream",
    "EventStreamClosed", "looks_forged", "parse_line", "parse_recorded", "parse_text",
    "Qemu", "QemuError", "RunResult", "close_all", "run",
    "GdbClient", "GdbConnectionError", "GdbError", "GdbTimeout",
    "ElfFormatError", "ElfImage", "FaultSite",
]
