"""No kernel call's length is chosen by a user program (issue 20): exec
maps and zeroes a program's whole image in one kernel call with interrupts
off. Programs whose .bss is 1, 3, 24 MiB and 2 GiB (os/tests/bss*.c) are
run from the shell: the small ones are served, again and again, also with
memory nearly full (the old allocator scanned from the first frame, so an
exec took longer as memory filled, until the lockup detector panicked);
the big ones are refused with ENOMEM before anything is mapped. Never a
panic, and the system runs its workload afterwards."""

import struct

from faultinj import bootimage
from faultinj.console import Console
from faultinj.qemu import Qemu

ENOMEM = -12
ENOEXEC = -8
BIG = ["bss1m", "bss3m", "bss24m", "bss2g"]
MIB = 1 << 20


def image(*extra):
    return bootimage.system() + [(p, "noexec") for p in BIG] + list(extra)


def run_big(con, name, frees=None):
    """Run one program: 0 once it said its memory came zeroed, or the
    shell's error. frees: a dict that gathers the free frames each
    program saw, by program."""
    m = con.mark()
    r = con.run(f"run {name}", expect=None, timeout=60).int("result")
    if r == 0:
        done = con.wait_event("bigbss_done", since=m, timeout=60)
        assert done.int("nonzero") == 0, done.raw
        if frees is not None:
            frees.setdefault(name, []).append(done.int("free"))
    return r


def no_panic_and_workload(con):
    assert not con.events("panic"), con.q.serial.tail(3000)
    m = con.mark()
    con.run("run wl kv 20")
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("answered") == 20 and done.int("wrong") == 0
    assert not con.events("panic")


def test_big_bss_served_or_refused(live_os):
    con = live_os(image())
    frees = {}
    for _ in range(4):
        assert run_big(con, "bss1m", frees) == 0
        assert run_big(con, "bss3m", frees) == 0
    # each exit gave back every frame its exec took
    assert all(len(set(f)) == 1 for f in frees.values()), frees
    for name in ("bss24m", "bss2g"):
        m = con.mark()
        assert run_big(con, name) == ENOMEM
        assert f"cannot start {name}: error {ENOMEM}" in con.q.serial.tail(2000)
        assert not con.events("spawn", since=m, name=name)
    assert run_big(con, "bss1m") == 0
    no_panic_and_workload(con)


def test_big_bss_with_memory_nearly_full(live_os):
    """memhog leaves 1200 frames (4.7 MiB): the 1 and 3 MiB images still
    load, each in a call whose length does not grow with the memory in use;
    after the 3 MiB one the rest is refused, not half mapped."""
    con = live_os(image(("memhog", "leave=1200")))
    hog = con.wait_event("memhog_done", timeout=60)
    assert hog.int("free") <= 1200
    for _ in range(3):
        assert run_big(con, "bss1m") == 0
        assert run_big(con, "bss3m") == 0
    assert run_big(con, "bss24m") == ENOMEM
    no_panic_and_workload(con)


# Program headers no loader may trust, made from bss1m by rewriting its
# .bss segment (vaddr, memsz): sums that wrap past 4 GiB, a segment over
# the stack, one in the kernel's part, one of 4 GiB - 1. Too much memory
# is ENOMEM (counted in 64 bits, so a wrapped sum is not small), a segment
# where no image may be is ENOEXEC.
USER_BASE, STACK_LOW = 0x40000000, 0xBFFF0000 - 0x10000
CRAFTED = {
    "wrap": lambda va: (va, 0x100000000 - va + 0x1000),
    "overstack": lambda va: (STACK_LOW - 0x1000, 0x2000),
    "kernel": lambda va: (0x1000, 0x1000),
    "fourg": lambda va: (va, 0xFFFFFFFF),
}
WANT = {"wrap": ENOMEM, "overstack": ENOEXEC, "kernel": ENOEXEC, "fourg": ENOMEM}


def crafted(path, how):
    elf = bytearray(open(bootimage.program_path("bss1m"), "rb").read())
    phoff, = struct.unpack_from("<I", elf, 28)
    phnum, = struct.unpack_from("<H", elf, 44)
    for i in range(phnum):
        o = phoff + 32 * i
        ptype, _, vaddr, _, filesz, memsz = struct.unpack_from("<6I", elf, o)
        if ptype == 1 and filesz == 0 and memsz >= 1 << 20:
            struct.pack_into("<I", elf, o + 8, how(vaddr)[0])
            struct.pack_into("<I", elf, o + 20, how(vaddr)[1])
            break
    else:
        raise AssertionError("bss1m has no .bss segment")
    path.write_bytes(bytes(elf))
    return f"{path} noexec"


def test_crafted_headers_refused(os_built, tmp_path):
    mods = bootimage.modules(bootimage.system()) + [
        crafted(tmp_path / f"{name}.elf", how) for name, how in CRAFTED.items()]
    q = Qemu(bootimage.kernel_path(), mods, timeout=120)
    try:
        q.start()
        con = Console(q)
        con.wait_ready(timeout=60)
        for name in CRAFTED:
            r = con.run(f"run {name}", expect=None, timeout=60).int("result")
            assert r == WANT[name], (name, r)
        no_panic_and_workload(con)
    finally:
        q.close()
