"""Build hygiene: a header change rebuilds only the objects that include it
(-MMD -MP); the build directory is named after FAULTINJ and COVERAGE, and
a build dir reused with other flags is rebuilt whole; the QEMU command line
is defined once (faultinj/qemu.py), make run uses it; make clean removes
every build output.

Header and flag changes are tried on a copy of the sources and of the
built tree (mtimes kept), so the shared build/ other tests boot is never
touched."""

import re
import shutil
import subprocess

import pytest

from faultinj import bootimage
from faultinj.elfsyms import ElfImage

ROOT = bootimage.ROOT


def make(cwd, *args, check=True):
    r = subprocess.run(["make", "-C", str(cwd), *args], capture_output=True, text=True,
                       timeout=300)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def compiled(text):
    """The sources make -n would compile (the commands), or a make run
    compiled (its `CC file` lines)."""
    return sorted(set(re.findall(r" -c (\S+) -o ", text)) | set(re.findall(r"^CC (\S+)$", text, re.M)))


@pytest.fixture(scope="module")
def tree(tmp_path_factory, request):
    """A copy of the Makefile, the sources, the contract and an up-to-date build/."""
    request.getfixturevalue("os_built")
    d = tmp_path_factory.mktemp("tree")
    shutil.copy2(ROOT / "Makefile", d / "Makefile")
    shutil.copytree(ROOT / "os", d / "os")
    shutil.copytree(ROOT / "contract", d / "contract")    # the generated header's source
    shutil.copytree(bootimage.BUILD, d / "build")          # mtimes kept: up to date
    assert "Nothing to be done" in make(d, "BUILD=build").stdout
    return d


def test_rs_header_rebuilds_rs_only(tree):
    (tree / "os/servers/rs/rs.h").touch()
    dry = compiled(make(tree, "-n", "BUILD=build").stdout)
    assert dry and all(s.startswith("os/servers/rs/") for s in dry), dry
    assert "os/servers/rs/main.c" in dry
    out = make(tree, "BUILD=build").stdout
    assert compiled(out) == dry
    assert set(re.findall(r"^LD build/(\S+)\.elf$", out, re.M)) == {"rs"}, out
    assert "Nothing to be done" in make(tree, "BUILD=build").stdout


def test_shared_header_rebuilds_its_users(tree):
    (tree / "os/include/fi.h").touch()
    dry = compiled(make(tree, "-n", "BUILD=build").stdout)
    assert "os/kernel/fi.c" in dry and "os/lib/fi/fi.c" in dry and "os/servers/ds/main.c" in dry
    assert "os/kernel/clock.c" not in dry


def test_build_dir_is_named_after_its_flags(tree):
    for flags, name in [((), "build"), (("FAULTINJ=0",), "build-nofi"),
                        (("COVERAGE=1",), "build-cov"),
                        (("COVERAGE=1", "FAULTINJ=0"), "build-cov-nofi")]:
        dirs = set(re.findall(r"-o (build[\w-]*)/", make(tree, "-n", "-B", *flags).stdout))
        assert dirs == {name}, (flags, dirs)


def test_reused_build_dir_with_other_flags_is_rebuilt(tree):
    """`make BUILD=build FAULTINJ=0` on a dir built with hooks rebuilds
    every object and leaves no hook (the flags stamp)."""
    before = compiled(make(tree, "-n", "BUILD=build", "FAULTINJ=0").stdout)
    assert len(before) > 80
    make(tree, "-s", "-j2", "BUILD=build", "FAULTINJ=0")
    for p in (tree / "build").glob("*.elf"):
        img = ElfImage(str(p))
        assert img.fault_sites() == [] and "fi_hit_point" not in img.symbols(), p
    assert "Nothing to be done" in make(tree, "BUILD=build", "FAULTINJ=0").stdout
    assert (tree / "build/build-flags").read_text().split() == ["FAULTINJ=0", "COVERAGE=0", "DEPS=1"]


def test_qemu_command_line_is_defined_once():
    mk = (ROOT / "Makefile").read_text()
    assert "qemu-system" not in mk.replace("qemu-system-x86", "")   # the package name only
    from faultinj import terminal
    from faultinj.qemu import Qemu
    r = subprocess.run(["/usr/bin/python3", "-m", "faultinj", "run", "--print"], cwd=ROOT,
                       capture_output=True, text=True, check=True)
    q = terminal.qemu()
    assert r.stdout.strip() == q.command_line()
    harness = Qemu(bootimage.kernel_path(), bootimage.modules(bootimage.system()))
    # the same command as the harness's, but the console's Ctrl-C ends QEMU
    assert q.command() == [a.replace("signal=off", "signal=on") for a in harness.command()]
    dry = subprocess.run(["make", "-n", "-C", str(ROOT), "run"], capture_output=True, text=True).stdout
    assert "-m faultinj run" in dry


def test_make_clean_removes_every_build_output(tmp_path):
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    made = ["build", "build-nofi", "build-cov", "build-cov-nofi", "mine",
            "faultinj/__pycache__", ".pytest_cache"]
    for d in made:
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "x").write_text("x")
    (tmp_path / "reports/out/c").mkdir(parents=True)
    make(tmp_path, "-s", "clean", "BUILD=mine")
    assert [d for d in made if (tmp_path / d).exists()] == []
    assert (tmp_path / "reports/out/c").exists()        # campaign results are kept
