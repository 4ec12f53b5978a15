"""gdb command files for a build: the kernel's symbols, and one file per
program that loads that program's symbols at its load address.

Every user program is linked at 0x40000000 (os/lib/user.ld) and runs in
its own address space, so their symbols overlap: gdb finds a name (`rproc`,
`rs_loop_once`) in whichever file has it, but an address means something
else in every program. Hence one file per program (`source` the ones you
want; `svc NAME` in gdb keeps only NAME's, faultinj/gdb_helpers.py), and
breakpoints in a program are hardware ones guarded by the running process
(`hbreak-in rs do_request`).
"""

import os
from pathlib import Path
from typing import Dict, List, Tuple


HELPERS = Path(__file__).resolve().parent / "gdb_helpers.py"


def load_sections(elf_path: str) -> List[Tuple[str, int]]:
    """(name, address) of every section the program loads, .text first."""
    # imported here: every campaign command imports this module (through
    # replay), and only a gdb session needs pyelftools
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        secs = [(s.name, s["sh_addr"]) for s in elf.iter_sections()
                if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_size"] and s["sh_addr"]]
    secs.sort(key=lambda s: (s[0] != ".text", s[1]))
    return secs


def add_symbol_file(elf_path: str) -> str:
    """The add-symbol-file command for a program, every section at the
    address the kernel's ELF loader puts it (the linked one)."""
    secs = load_sections(elf_path)
    if not secs or secs[0][0] != ".text":
        raise ValueError(f"{elf_path}: no .text section")
    cmd = f"add-symbol-file {elf_path} {secs[0][1]:#x}"
    return cmd + "".join(f" -s {name} {addr:#x}" for name, addr in secs[1:])


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)          # two `make gdb` at once never see half a file


def write(build: Path, outdir: Path) -> Dict[str, Path]:
    """kernel.gdb and <program>.gdb for every built program; name -> path."""
    build, outdir = Path(build).resolve(), Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files: Dict[str, Path] = {}
    kernel = outdir / "kernel.gdb"
    _write(kernel, "# the kernel's symbols (loaded and identity-mapped at 1 MiB) and the\n"
                   "# helpers: hbreak-in PROC LOCATION, svc NAME, $proc_is(\"NAME\")\n"
                   f"file {build / 'kernel.elf'}\n"
                   f"source {HELPERS}\n"
                   f"python faultinj_setup(\"{outdir}\")\n")
    files["kernel"] = kernel
    for elf in sorted(build.glob("*.elf")):
        if elf.stem == "kernel":
            continue
        p = outdir / f"{elf.stem}.gdb"
        _write(p, f"# {elf.stem}'s symbols, at its load address\n{add_symbol_file(str(elf))}\n")
        files[elf.stem] = p
    return files
