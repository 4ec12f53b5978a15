"""Per-site arming (issue 23): a hook tests only its own site's bit in the
fault table's map of armed sites, so a fault armed at one site leaves
every other hook on its fast path, and the kernel's IPC path runs its
instrumented copy only while a kernel.ipc.* site is armed. The bit of a
name is computed three times (folded by the compiler into each site's
descriptor, by the kernel when SYS_FI arms, by the host): all three agree.

A hook's slow path counts the hit in its site's descriptor (fi_hit_point,
fi_hit_error*), so the descriptors' counters, read through the GDB stub,
say which hooks went down it."""

import glob

from faultinj import arming, bootimage
from faultinj.elfsyms import ElfImage
from faultinj.session import kernel_image


def _built_sites():
    """{name: [FaultSite, ...]} of every hand site of the build."""
    out = {}
    for path in sorted(glob.glob(str(bootimage.BUILD / "*.elf"))):
        for s in ElfImage(path).fault_sites():
            out.setdefault(s.name, []).append(s)
    return out


def test_site_bits_agree_between_compiler_and_host(os_built):
    """Every descriptor holds the bit the compiler folded from its name
    (fi.h FI_SITE_BIT): it is the host's arming.site_bit of that name."""
    sites = _built_sites()
    assert len(sites) > 30 and "kernel.ipc.send" in sites and "kv.put" in sites
    wrong = [(s.binary, n, s.bit, arming.site_bit(n))
             for n, ss in sites.items() for s in ss if s.bit != arming.site_bit(n)]
    assert not wrong


def test_built_sites_and_groups_have_bits_of_their_own(os_built):
    """No two site names or groups of the build share a bit: arming one
    never sends another's hook down its slow path. When a new site makes
    two collide, change FI_SITE_HASH_BASIS in contract/guest_host.def (the
    message names one that keeps them apart)."""
    keys = set(_built_sites())
    keys |= {g for g in map(arming.site_group, list(keys)) if g}

    def clashes(bit):
        seen = {}
        for k in sorted(keys):
            seen.setdefault(bit(k), []).append(k)
        return [v for v in seen.values() if len(v) > 1]

    found = clashes(arming.site_bit)
    if found:
        def bit_with(basis):
            def bit(name):
                h = basis
                for c in name.encode().ljust(arming.NAME_MAX, b"\0"):
                    h = ((h ^ c) * arming.HASH_PRIME) & 0xFFFFFFFF
                return h % arming.SITE_BITS
            return bit
        good = next((b for b in range(arming.HASH_BASIS + 1, arming.HASH_BASIS + 100000)
                     if not clashes(bit_with(b))), None)
        raise AssertionError(f"sites sharing a bit: {found}; FI_SITE_HASH_BASIS "
                             f"{good:#x} keeps them apart" if good else f"sites sharing a bit: {found}")


def test_arming_rule_for_groups_wildcard_and_automatic_sites():
    """A hand site marks its own bit and its group's; "*" marks them all
    (the golden run's counter); an automatic site "@ADDR" marks none (its
    int3 does the work, no hook looks)."""
    m = arming.site_map(["kernel.ipc.drop"])
    bits = {i for i in range(arming.SITE_BITS) if m[i // 8] >> (i % 8) & 1}
    assert bits == {arming.site_bit("kernel.ipc.drop"), arming.site_bit("kernel.ipc.*")}
    assert arming.site_map(["*"]) == b"\xff" * (arming.SITE_BITS // 8)
    assert arming.site_map(["@4000123a"]) == bytes(arming.SITE_BITS // 8)
    assert arming.site_group("kv.put.half") == "kv.put.*" and arming.site_group("x") is None


def test_kernel_arming_sets_the_bits_the_host_would(fi_os):
    """SYS_FI (`service fi`) arms and the kernel sets the map as the host's
    rule says; disarming clears it; "*" sets every bit."""
    s = fi_os(bootimage.system())

    def guest_map():
        s.gdb.interrupt(10)
        try:
            return s.table.sites()
        finally:
            s.gdb.cont()

    assert guest_map() == bytes(arming.SITE_BITS // 8)
    s.console.run("service fi -pending nobody kv.put.half crash nth=1000")
    s.console.run("service fi -pending nobody @4000123a crash nth=1000")
    assert guest_map() == arming.site_map(["kv.put.half", "@4000123a"])
    assert guest_map() != arming.site_map(["kv.put"])
    s.console.run("service fi off")
    assert guest_map() == bytes(arming.SITE_BITS // 8)
    s.console.run("service fi -pending nobody * crash nth=1000")
    assert guest_map() == arming.site_map(["*"])


def _hits(s, names):
    """{binary: {site: hits}} read from the descriptors of the running
    kernel and of the named processes."""
    kernel = kernel_image()

    def read(view):
        out = {"kernel": {d.name: s.gdb.read_u32(d.hits_addr) for d in kernel.fault_sites()}}
        out["ipc_instrumented"] = view.read_symbol_u32("fi_ipc_instrumented")
        for name in names:
            p = view.process(name)
            elf = ElfImage(str(bootimage.program_path(name)))
            out[name] = {d.name: int.from_bytes(view.read_user(p, d.hits_addr, 4), "little")
                         for d in elf.fault_sites()}
        return out
    return s.inspect(read)


def test_a_fault_armed_elsewhere_leaves_other_hooks_fast(fi_os):
    """With kv.get armed (for a process that does not exist, so it never
    fires), kv's kv.get hook takes its slow path at every GET and no other
    hook does: not kv.put next to it, not the shared SEF sites, not the
    kernel's kernel.call nor the IPC path, which stays on its plain copy.
    Then kernel.ipc.drop armed the same way: the IPC path takes its
    instrumented copy, whose drop site goes the slow way while its other
    sites stay fast."""
    s = fi_os(bootimage.system(init="wl kv 30"),
              arm_at_boot=[dict(site="kv.get", fault="crash", proc="nobody", trigger="times", k=1)])
    done = s.console.wait_event("wl_done", timeout=90)
    assert done.int("answered") == 30 and done.int("wrong") == 0, done.raw
    h = _hits(s, ["kv", "rs", "vm", "pm"])
    assert h["kv"]["kv.get"] > 0                     # the armed site: slow path, no fire
    slow = {(b, n): c for b in ("kv", "rs", "vm", "pm", "kernel") for n, c in h[b].items()
            if c and (b, n) != ("kv", "kv.get")}
    assert not slow, f"hooks of sites not armed took the slow path: {slow}"
    assert h["ipc_instrumented"] == 0
    assert not s.console.events("fi_fired")

    s.arm("kernel.ipc.drop", "drop", proc="nobody", trigger="times", k=1)
    mark = s.console.mark()
    s.console.run("run wl kv 10", timeout=60)
    s.console.wait_event("wl_done", since=mark, timeout=60)
    h2 = _hits(s, ["kv"])
    assert h2["ipc_instrumented"] > 0
    assert h2["kernel"]["kernel.ipc.drop"] > 0
    assert h2["kernel"]["kernel.ipc.send"] == 0 and h2["kernel"]["kernel.call"] == 0
    assert h2["kv"]["kv.put"] == 0
    assert not s.console.events("fi_fired")
