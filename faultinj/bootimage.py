"""Where the built OS lives and how a boot image is put together.

A boot image is the kernel plus one Multiboot module per boot process,
each written "path arg...". The kernel names a process after its file
(build/peer.elf -> "peer"); module order carries no meaning.
"""

import os
import subprocess
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple, Union

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("OS_BUILD_DIR", ROOT / "build"))

Module = Union[str, Tuple[str, str]]


# The whole system: RS, the servers, INIT, the victim services, and the
# workload client as a program file (noexec) that PM starts on request.
# `fi`: PM runs it with the fault-injection right (the victims' crash and
# hang requests).
SYSTEM = ["rs", "ds", "vm", "pm", "mem", "tty", "init", "kv", "echo", ("wl", "noexec fi"),
          ("msgfuzz", "noexec")]


def system(**args) -> List[Module]:
    """SYSTEM with extra module arguments, e.g. system(kv="sef_init=fail")."""
    out = []
    for m in SYSTEM:
        name, a = (m, "") if isinstance(m, str) else m
        extra = args.pop(name, "")
        out.append((name, f"{a} {extra}".strip()))
    if args:
        raise KeyError(f"not in the system image: {sorted(args)}")
    return out


def kernel_path() -> str:
    return str(BUILD / "kernel.elf")


def program_path(name: str) -> str:
    return str(BUILD / f"{name}.elf")


def modules(spec: Iterable[Module]) -> List[str]:
    """["rs", ("ktest", "ipc")] -> ["<build>/rs.elf", "<build>/ktest.elf ipc"]."""
    out = []
    for m in spec:
        name, args = (m, "") if isinstance(m, str) else m
        path = program_path(name)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is not built (run make)")
        out.append(f"{path} {args}".strip())
    return out


def build(targets: Sequence[str] = (), env=None) -> None:
    """Run make in the project root for this build directory, with the
    variant's flags (OS_COVERAGE=1, OS_FAULTINJ=0: the Makefile sets them
    with OS_BUILD_DIR); raise with its output on failure."""
    extra = [f"BUILD={BUILD}"] if not any(t.startswith("BUILD=") for t in targets) else []
    if os.environ.get("OS_COVERAGE") == "1" and not any(t.startswith("COVERAGE=") for t in targets):
        extra.append("COVERAGE=1")
    if os.environ.get("OS_FAULTINJ") == "0" and not any(t.startswith("FAULTINJ=") for t in targets):
        extra.append("FAULTINJ=0")
    cmd = ["make", "-s", "-C", str(ROOT), *extra, *targets]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")
