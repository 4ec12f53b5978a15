"""Post-link step of the fault-injection build: disarm every automatic site.

  python3 -m faultinj.markers X.elf GOLDEN_DIR

GCC's -fsanitize-coverage=trace-pc put `call __sanitizer_cov_trace_pc` at
the start of every basic block. This copies X.elf unchanged into
GOLDEN_DIR (every site calls the counting hook: the golden run's build),
then rewrites each such call in X.elf into `cmp $rel32,%eax`: opcode 0xE8
becomes 0x3D, the 4 bytes after it stay. That is one instruction that
reads eax and sets flags, both dead at a call, so a disarmed site costs one
guest instruction; the kernel arms a site by writing 0xE8 back
(kernel/fi_auto.c), and the host finds every site from the ELF alone (a
0x3D whose operand points at the hook: faultinj/autosites.py).

Call sites are taken from objdump's disassembly, not from a byte scan, so
only real call instructions are rewritten. An ELF without the hook (a
program with no instrumented code) is copied and left as it is.
"""

import os
import re
import shutil
import subprocess
import sys

from elftools.elf.elffile import ELFFile

HOOK = "__sanitizer_cov_trace_pc"
CALL, MARK = 0xE8, 0x3D
_CALL_RE = re.compile(r"^\s*([0-9a-f]+):\s+call\s+([0-9a-f]+) <" + re.escape(HOOK) + r">\s*$")


def call_sites(path):
    """Addresses of every `call HOOK` in the ELF's code, from objdump."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                         check=True, capture_output=True, text=True).stdout
    return [int(m.group(1), 16) for m in map(_CALL_RE.match, out.splitlines()) if m]


def _file_offsets(path, addrs):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        segs = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        offs = []
        for a in addrs:
            seg = next(s for s in segs if s["p_vaddr"] <= a < s["p_vaddr"] + s["p_filesz"])
            offs.append(a - seg["p_vaddr"] + seg["p_offset"])
        return offs


def mark(path, golden_dir):
    os.makedirs(golden_dir, exist_ok=True)
    shutil.copy2(path, os.path.join(golden_dir, os.path.basename(path)))
    sites = call_sites(path)
    if not sites:
        return 0
    offs = _file_offsets(path, sites)
    with open(path, "r+b") as f:
        for off in offs:
            f.seek(off)
            if f.read(1)[0] != CALL:
                raise SystemExit(f"markers: {path}: no call at file offset {off:#x}")
            f.seek(off)
            f.write(bytes([MARK]))
    return len(sites)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    mark(sys.argv[1], sys.argv[2])
