"""Unit tests for faultinj.elfsyms on tiny ELF files compiled by the test."""

import os
import shutil
import struct
import subprocess

import pytest

from faultinj import elfsyms
from faultinj.elfsyms import ElfFormatError, ElfImage

pytestmark = pytest.mark.skipif(
    shutil.which("gcc") is None or shutil.which("ld") is None,
    reason="needs gcc -m32 and ld")

SITES_C = r'''
struct fi_site {
    const char *name; const char *file;
    unsigned line, hits, kind, reserved;
};
/* aligned(4): keep descriptors packed back to back in the section. */
#define SITE(var, nm, k) \
    __attribute__((section("fi_sites"), used, aligned(4))) \
    static struct fi_site var = { nm, __FILE__, __LINE__, 0, k, 0 }

SITE(site_a, "rs.init.fail", 3);
SITE(site_b, "pm.reply.drop", 7);

int fi_global_counter = 42;
const char fi_banner[] = "banner text";
void _start(void) { for (;;) ; }
'''


def _compile(tmp_path, src, name="sites"):
    c = tmp_path / f"{name}.c"
    c.write_text(src)
    obj = tmp_path / f"{name}.o"
    subprocess.run(["gcc", "-m32", "-O0", "-fno-pie", "-fno-pic",
                    "-fno-toplevel-reorder", "-c", str(c), "-o", str(obj)],
                   check=True)
    return c, obj


def _link(tmp_path, obj, name="sites"):
    elf = tmp_path / f"{name}.elf"
    subprocess.run(["ld", "-m", "elf_i386", "-e", "_start", "-Ttext=0x100000",
                    "--build-id=none", str(obj), "-o", str(elf)], check=True)
    return elf


@pytest.fixture
def built(tmp_path):
    c, obj = _compile(tmp_path, SITES_C)
    return c, obj, _link(tmp_path, obj)


def test_linked_symbols_and_sites(built):
    c, _, elf = built
    img = ElfImage(str(elf))
    addr, size = img.symbol("fi_global_counter")
    assert size == 4
    assert struct.unpack("<I", img.read_bytes(addr, 4))[0] == 42
    baddr, _ = img.symbol("fi_banner")
    assert img.read_cstring(baddr) == "banner text"
    assert "_start" in img.symbols()
    with pytest.raises(KeyError, match="no_such_symbol"):
        img.symbol("no_such_symbol")

    sites = img.fault_sites()
    assert [s.name for s in sites] == ["rs.init.fail", "pm.reply.drop"]
    a, b = sites
    assert a.file.endswith("sites.c") and b.file == a.file
    assert b.line == a.line + 1
    assert (a.kind, b.kind) == (3, 7)
    assert a.binary == str(elf)
    # addr is the descriptor's own vaddr: it matches the static symbol.
    assert a.addr == img.symbol("site_a")[0]
    assert b.addr == a.addr + 24
    assert a.hits_addr == a.addr + 12
    assert struct.unpack("<I", img.read_bytes(a.addr + 12, 4))[0] == 0


def test_relocatable_object(built):
    _, obj, elf = built
    linked = ElfImage(str(elf)).fault_sites()
    sites = ElfImage(str(obj)).fault_sites()
    assert [(s.name, s.file, s.line, s.kind) for s in sites] == \
        [(s.name, s.file, s.line, s.kind) for s in linked]
    assert [s.addr for s in sites] == [0, 24]


def test_no_sites_section(tmp_path):
    _, obj = _compile(tmp_path, "int x = 1; void _start(void) {}\n", "plain")
    assert ElfImage(str(_link(tmp_path, obj, "plain"))).fault_sites() == []


def test_section_size_not_multiple(tmp_path):
    src = ('__attribute__((section("fi_sites"), used)) '
           'static const char junk[30] = "garbage";\nvoid _start(void) {}\n')
    _, obj = _compile(tmp_path, src, "bad")
    elf = _link(tmp_path, obj, "bad")
    with pytest.raises(ElfFormatError, match=r"bad\.elf.*multiple of 24.*0x18"):
        ElfImage(str(elf)).fault_sites()


def test_pointer_outside_sections(tmp_path):
    src = ('__attribute__((section("fi_sites"), used, aligned(4))) '
           'static const unsigned d[6] = { 0x7ffff000u, 0, 1, 0, 0, 0 };\n'
           'void _start(void) {}\n')
    _, obj = _compile(tmp_path, src, "wild")
    elf = _link(tmp_path, obj, "wild")
    with pytest.raises(ElfFormatError, match=r"wild\.elf.*offset 0x0.*outside"):
        ElfImage(str(elf)).fault_sites()


def test_not_an_elf(tmp_path):
    p = tmp_path / "garbage.bin"
    p.write_bytes(b"\x7fELF" + b"\xff" * 60)
    with pytest.raises(ElfFormatError, match="garbage.bin"):
        ElfImage(str(p))


def test_truncated_file(built, tmp_path):
    _, _, elf = built
    blob = elf.read_bytes()
    for n in (10, 200, len(blob) // 2, len(blob) - 10):
        p = tmp_path / f"trunc{n}.elf"
        p.write_bytes(blob[:n])
        with pytest.raises(ElfFormatError, match=f"trunc{n}.elf"):
            ElfImage(str(p)).fault_sites()


def test_truncated_section_data(built, tmp_path):
    # Keep the headers intact but make fi_sites run past the end of the file.
    from elftools.elf.elffile import ELFFile
    _, _, elf = built
    blob = bytearray(elf.read_bytes())
    with open(elf, "rb") as f:
        ef = ELFFile(f)
        idx = next(i for i, s in enumerate(ef.iter_sections()) if s.name == "fi_sites")
        shoff, shentsize = ef["e_shoff"], ef["e_shentsize"]
    hdr = shoff + idx * shentsize
    struct.pack_into("<I", blob, hdr + 16, len(blob) - 8)   # sh_offset
    p = tmp_path / "cut.elf"
    p.write_bytes(bytes(blob))
    with pytest.raises(ElfFormatError, match=r"cut\.elf.*fi_sites is truncated"):
        ElfImage(str(p))


def test_struct_symbol_reader_agrees_with_pyelftools(tmp_path):
    """The i386 fast path (_load_symbols32) reads the same table as
    pyelftools does, a local and a global of one name included (the
    global wins), and so does it for the object before linking."""
    import io
    from elftools.elf.elffile import ELFFile
    src = SITES_C + "static int twice = 1;\nint *tp = &twice;\n"
    _, obj = _compile(tmp_path, src, "one")
    _, obj2 = _compile(tmp_path, "int twice = 2;\n", "two")
    elf = tmp_path / "both.elf"
    subprocess.run(["ld", "-m", "elf_i386", "-e", "_start", "-Ttext=0x100000",
                    "--build-id=none", str(obj), str(obj2), "-o", str(elf)], check=True)
    for path in (elf, obj):
        img = ElfImage(str(path))
        with open(path, "rb") as f:
            slow = ElfImage._load_symbols(ELFFile(io.BytesIO(f.read())))
        assert img._symbols == slow and "fi_global_counter" in slow
    with open(elf, "rb") as f:       # the fast path read it, not the fallback
        assert ElfImage(str(elf))._load_symbols32(ELFFile(io.BytesIO(f.read()))) is not None


def test_struct_section_reader_agrees_with_pyelftools(tmp_path):
    """A linked i386 file's sections and symbols, read with struct
    (_linked32), are pyelftools': every field of every section of every
    binary the build made, and of one linked here; an object file before
    linking is left to pyelftools."""
    import glob
    from faultinj import bootimage
    src = SITES_C + "static int twice = 1;\nint *tp = &twice;\n"
    _, obj = _compile(tmp_path, src, "one")
    elf = _link(tmp_path, obj, "one")
    paths = [str(elf)] + sorted(glob.glob(os.path.join(bootimage.BUILD, "*.elf")))
    assert len(paths) > 10
    for path in paths:
        fast = ElfImage(path)
        with open(path, "rb") as f:
            blob = f.read()
        assert elfsyms._linked32(blob) is not None, path
        slow = object.__new__(ElfImage)
        slow.path = path
        slow._load_any(blob)
        field = lambda img: [(x.index, x.name, x.addr, x.size, x.alloc, x.nobits, x.data)
                             for x in img._sections]
        assert field(fast) == field(slow), path
        assert fast._symbols == slow._symbols and fast._site_relocs == slow._site_relocs == {}
        assert (fast.relocatable, fast.little_endian, fast.elfclass) == (False, True, 32)
    with open(obj, "rb") as f:
        assert elfsyms._linked32(f.read()) is None
