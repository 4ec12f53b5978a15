"""Build helper for tinykernel.S (used by the QEMU and GDB integration tests)."""

import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "tinykernel.S")


def tools_missing():
    """Name of the first missing tool, or None."""
    for tool in ("gcc", "ld", "qemu-system-i386"):
        if shutil.which(tool) is None:
            return tool
    return None


def build(outdir) -> str:
    """Assemble and link the kernel into outdir; return the ELF path."""
    obj = os.path.join(outdir, "tinykernel.o")
    elf = os.path.join(outdir, "tinykernel.elf")
    subprocess.run(["gcc", "-m32", "-c", SOURCE, "-o", obj], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext=0x100000", "-e", "_start",
                    "--build-id=none", obj, "-o", elf], check=True)
    return elf
