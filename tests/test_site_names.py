# Symbolic names of automatic fault sites (faultinj/autosites.py): a name
# (function#block) resolves to the very address the site has; a build with
# an unrelated edit (a function inserted in every file, every address
# moved) keeps every name, and so a generated spec keeps every experiment's
# id and passes the check there; a name the build lacks, an out-of-range
# block or a shared function name is refused before anything runs, naming
# the spec's line.

import subprocess
import sys

import pytest

from campaigns import check, faultload, spec
from faultinj import autosites, bootimage
from faultinj.elfsyms import ElfImage

TARGETS = ("kernel", "rs", "kv", "ds", "pm")


def _sites(build, b):
    return autosites.sites(str(build / f"{b}.elf"))


@pytest.fixture(scope="module")
def moved(tmp_path_factory, os_built):
    """The same code with a function inserted at the top of every file,
    built once for every xdist worker (the base temp dir's parent is
    theirs in common; a lock keeps a second make out while one runs)."""
    import fcntl
    root = tmp_path_factory.getbasetemp().parent
    build = root / "inserted-build"
    with open(root / "inserted-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        bootimage.build([f"BUILD={build}", "-j2",
                         f"EXTRA_CFLAGS=-include {bootimage.ROOT}/tests/inserted_function.h"])
    return build


@pytest.mark.parametrize("binary", TARGETS)
def test_every_name_resolves_to_its_sites_address(os_built, binary):
    path = str(os_built / f"{binary}.elf")
    sites = _sites(os_built, binary)
    assert len({s.name for s in sites}) == len(sites) > 100
    img = ElfImage(path)
    for s in sites:
        assert autosites.resolve(path, s.name).addr == s.addr
        assert autosites.resolve(path, s.marker).addr == s.addr
        if "~" not in s.name:
            # the symbol table agrees on the function (block 0 may start
            # after the prologue)
            assert img.address(s.function) <= s.addr, s.name
    # blocks numbered from 0 in address order within each function
    by_func = {}
    for s in sites:
        by_func.setdefault(s.symbol, []).append(s)
    for blocks in by_func.values():
        assert [b.index for b in blocks] == list(range(len(blocks)))
        assert [b.addr for b in blocks] == sorted(b.addr for b in blocks)


def test_functions_sharing_a_name_are_numbered_in_link_order(os_built):
    """The kernel's IPC path is built twice (ipc.c with and without its
    hand sites): two static do_send, the first linked first."""
    path = str(os_built / "kernel.elf")
    firsts = [autosites.resolve(path, f"do_send~{k}#0") for k in (1, 2)]
    assert firsts[0].addr < firsts[1].addr
    assert {s.function for s in firsts} == {"do_send"}
    # and the copy with the hand sites is linked first, as it always was:
    # ~1 is its, ~2 the plain copy's, so a spec's deliver~2#9 still names
    # the copy every message takes (os/kernel/kernel.ld orders the text)
    k = ElfImage(path)
    assert k.address("ipc_trap_fi") < k.address("ipc_trap_nofi")


@pytest.mark.parametrize("binary", TARGETS)
def test_an_unrelated_edit_keeps_every_name(os_built, moved, binary):
    before = _sites(os_built, binary)
    path = str(moved / f"{binary}.elf")
    moved_addr = 0
    for s in before:
        t = autosites.resolve(path, s.name)
        # the same block: its function, source line and fault types (not
        # its length: the nops that align a loop depend on the address)
        assert (t.function, t.file, t.line, t.faults()) == \
            (s.function, s.file, s.line, s.faults()), s.name
        moved_addr += t.addr != s.addr
    # the edit did move the code: an address name would have broken
    assert moved_addr > 0.9 * len(before), (moved_addr, len(before))


def test_a_generated_spec_keeps_its_ids_and_runs_on_the_edited_build(os_built, moved,
                                                                      monkeypatch):
    def generate(build):
        monkeypatch.setattr(bootimage, "BUILD", build)
        # as a golden run counts them: the inserted function never runs
        gold = {b: {s.marker: 10 for s in _sites(build, b) if s.function != "fi_test_inserted"}
                for b in TARGETS}
        return spec.parse(faultload.generate(gold, 120, seed=5, targets=TARGETS), "g.spec")
    a, b = generate(os_built), generate(moved)
    assert a.ids() == b.ids() and len(a.ids()) == 120
    assert all("#" in e.site for e in a.experiments)
    check.check_campaign(a, check.build_sites(moved, check.services()), moved)


def _check(tmp_path, lines, build):
    f = tmp_path / "names.spec"
    f.write_text("campaign names\n" + lines)
    return f, subprocess.run([sys.executable, "-m", "campaigns", "check", str(f),
                              "--build", str(build)], cwd=bootimage.ROOT,
                             capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("line,problem", [
    ("kv crash site=kv_gone#0", "kv_gone#0: kv has no function kv_gone with automatic sites"),
    ("kv crash site=kv_table_sane#999", "kv_table_sane#999: kv_table_sane in kv has blocks #0 to #"),
    ("kernel crash site=do_send#0",
     "do_send#0: kernel has 2 functions named do_send (name one: do_send~1, do_send~2)"),
    ("kv crash site=kv_table_sane#0junk", "bad site name 'kv_table_sane#0junk'"),
])
def test_a_name_the_build_lacks_is_refused_naming_the_line(tmp_path, os_built, line, problem):
    f, r = _check(tmp_path, f"kv crash site=kv_table_sane#1   # fine\n{line}\n", os_built)
    assert r.returncode == 2, r.stderr
    assert f"{f}:3: " in r.stderr and problem in r.stderr, r.stderr


def test_a_good_name_passes_the_check(tmp_path, os_built):
    f, r = _check(tmp_path, "kv crash site=kv_table_sane#1\nkernel hang site=do_send~2#0\n",
                  os_built)
    assert r.returncode == 0, r.stderr
