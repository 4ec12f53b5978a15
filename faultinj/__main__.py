"""python3 -m faultinj sites [--json] [--kind hand|auto] [--build DIR]
python3 -m faultinj gdb [--service NAME[,NAME]] [--attach SOCKET] [-- GDB ARGS...]
python3 -m faultinj run [--print] [--append TEXT] [--events] [--events-log FILE] [--gdb]

`sites` lists every fault site compiled into every binary of the OS, read
from the ELF files alone: the hand-placed ones (section fi_sites: binary,
site name, kind point/error, source file and line) and the automatic
basic-block ones (faultinj/autosites.py: binary, `FUNC#N` and `@ADDR`, function, file,
line, and the fault types that apply there with the instruction each acts
on). A build without fault injection has neither.

`gdb` (make gdb) boots the system stopped at its first instruction and
runs gdb on it with every program's symbols, or attaches gdb to a running
stub (faultinj/debugger.py).

`run` (make run) boots the system with its console on this terminal, its
event lines in a log file, or prints the QEMU command line; with --gdb
(make qemu-gdb) it waits for gdb at the first instruction
(faultinj/terminal.py).
"""

import argparse
import json
import os
import sys
from pathlib import Path

from . import autosites, bootimage
from .elfsyms import ElfImage, ElfFormatError

KINDS = {0: "point", 1: "error"}


def collect(build: Path, kinds=("hand", "auto")):
    sites = []
    if "auto" in kinds:
        for path in sorted(build.glob("*.elf")):
            sites += [a.as_dict() for a in autosites.sites(str(path), str(bootimage.ROOT))]
    if "hand" not in kinds:
        return sites
    for path in sorted(build.glob("*.elf")):
        try:
            img = ElfImage(str(path))
        except (ElfFormatError, OSError) as e:
            raise SystemExit(f"faultinj: cannot read {path}: {e}")
        for s in img.fault_sites():
            sites.append({"binary": path.stem, "site": s.name, "kind": KINDS.get(s.kind, str(s.kind)),
                          "file": os.path.relpath(s.file, bootimage.ROOT) if os.path.isabs(s.file) else s.file,
                          "line": s.line, "addr": s.addr})
    return sites


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m faultinj")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sites", help="list the fault sites of every binary")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--kind", choices=("hand", "auto"), help="only hand-placed or automatic sites")
    p.add_argument("--build", default=str(bootimage.BUILD), help="directory of the built ELF files")
    g = sub.add_parser("gdb", help="boot the system stopped, with gdb attached")
    g.add_argument("--service", help="load only these programs' symbols (comma-separated)")
    g.add_argument("--attach", help="attach to this stub socket (or QEMU temp dir) instead")
    g.add_argument("--console-log", help="write the guest's console here (default: beside the stub)")
    g.add_argument("--build", default=str(bootimage.BUILD), help="directory of the built ELF files")
    r = sub.add_parser("run", help="boot the system with its console on this terminal")
    r.add_argument("--print", action="store_true", help="print the QEMU command line only")
    r.add_argument("--append", default="", help="kernel command line")
    r.add_argument("--events", action="store_true", help="show event lines on the console too")
    r.add_argument("--events-log", help="where event lines go (default BUILD/run-events.log)")
    r.add_argument("--gdb", action="store_true",
                   help="stop at the first instruction until gdb attaches (make qemu-gdb)")
    # what follows `--` goes to gdb as it is
    argv = sys.argv[1:] if argv is None else list(argv)
    gdb_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    a = ap.parse_args(argv)
    if a.cmd == "run":
        from . import terminal
        return terminal.main(a.print, a.append, a.events_log, a.events, a.gdb)
    if a.cmd == "gdb":
        from . import debugger
        a.gdb_args = gdb_args
        return debugger.main(a)
    build = Path(a.build)
    if not build.is_dir() or not any(build.glob("*.elf")):
        print(f"faultinj: no ELF files in {build} (run make first)", file=sys.stderr)
        return 2
    sites = collect(build, (a.kind,) if a.kind else ("hand", "auto"))
    if a.json:
        json.dump(sites, sys.stdout, indent=1)
        print()
        return 0
    print(f"{'binary':<10} {'site':<24} {'kind':<6} {'address':<10} location")
    for s in sites:
        print(f"{s['binary']:<10} {s['site']:<24} {s['kind']:<6} {s.get('marker', ''):<10} "
              f"{s['file']}:{s['line']}" + (f"  [{' '.join(s['faults'])}]" if "faults" in s else ""))
    auto = sum(1 for s in sites if s["kind"] == "auto")
    print(f"{len(sites)} sites ({auto} automatic) in {len({s['binary'] for s in sites})} binaries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
