# gdb_helpers.py - runs inside gdb (`source` from the kernel.gdb that
# faultinj/gdbfiles.py writes), not in the harness. Commands for a system
# whose user programs all live at 0x40000000, each in its own address space:
#   $proc_is("rs")          true while process "rs" runs (the kernel's `current`)
#   hbreak-in PROC LOCATION  a hardware breakpoint that stops only in PROC
#   svc NAME                 keep only NAME's program symbols (plus the kernel's)
import os

import gdb

_gdbdir = None


def faultinj_setup(gdbdir):
    global _gdbdir
    _gdbdir = gdbdir


def _running():
    """Name of the process the kernel runs, "" in the kernel's own code."""
    cur = gdb.parse_and_eval("current")
    if int(cur) == 0:
        return ""
    return cur["name"].string()


class ProcIs(gdb.Function):
    """$proc_is("NAME"): is process NAME the one running?"""

    def __init__(self):
        super().__init__("proc_is")

    def invoke(self, name):
        return _running() == name.string()


class HbreakIn(gdb.Command):
    """hbreak-in PROC LOCATION: hardware breakpoint at LOCATION that stops
    only while process PROC runs. Every program shares the addresses from
    0x40000000, so without the condition another program's code at the
    same address would stop too. Hardware, because a breakpoint written
    into memory does not survive the loaders (see README, make gdb)."""

    def __init__(self):
        super().__init__("hbreak-in", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        parts = arg.split(None, 1)
        if len(parts) != 2:
            raise gdb.GdbError("usage: hbreak-in PROC LOCATION")
        proc, loc = parts
        gdb.execute(f'hbreak {loc} if $proc_is("{proc}")', from_tty)


class Svc(gdb.Command):
    """svc NAME: unload every program's symbols but the kernel's, then load
    NAME's (build/NAME.elf), so addresses from 0x40000000 mean NAME's code."""

    def __init__(self):
        super().__init__("svc", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        path = os.path.join(_gdbdir or ".", f"{name}.gdb")
        if not name or not os.path.exists(path):
            raise gdb.GdbError(f"usage: svc NAME (no {path})")
        for obj in list(gdb.objfiles()):
            fn = obj.filename or ""
            if fn.endswith(".elf") and os.path.basename(fn) != "kernel.elf":
                gdb.execute(f"remove-symbol-file {fn}", to_string=True)
        gdb.execute(f"source {path}", to_string=True)
        print(f"symbols: kernel, {name}")


def _first_program():
    """The program whose symbols name addresses from 0x40000000: gdb takes
    the first file loaded that covers an address."""
    for obj in gdb.objfiles():
        fn = obj.filename or ""
        if fn.endswith(".elf") and os.path.basename(fn) != "kernel.elf":
            return os.path.basename(fn)[:-4]
    return None


def _on_stop(event):
    # a stop in another process than the one whose symbols read the code:
    # say so, rather than let a backtrace show the wrong program's names
    try:
        if int(gdb.parse_and_eval("$pc")) < 0x40000000:
            return                           # the kernel's code: no ambiguity
        running, shown = _running(), _first_program()
    except gdb.error:
        return
    if running and shown and running != shown:
        print(f"[process {running} runs; addresses read as {shown}'s code: `svc {running}`]")


ProcIs()
HbreakIn()
Svc()
gdb.events.stop.connect(_on_stop)
