"""Symbols and fault-site descriptors from the project's ELF files.

The host lists every fault site of every binary without running anything
by reading the `fi_sites` section (one 24-byte descriptor per site) and the
strings it points to.  Linked executables are the normal input; relocatable
objects (`gcc -c`) also work, their pointers being resolved through the
section's relocations.
"""

import io
import struct
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from . import contract

SITES_SECTION = "fi_sites"
# struct fi_site, laid out as the contract says (os/include/fi.h)
SITE_STRUCT = contract.struct_format("fi_site")
SITE_FORMAT = SITE_STRUCT.format
SITE_SIZE = SITE_STRUCT.size
HITS_OFFSET = contract.offset("fi_site", "hits")   # of the hit counter in a descriptor

_R_386_32 = 1
_MAX_STRING = 4096


# a descriptor's kind field (os/include/fi.h struct fi_site)
DESCRIPTOR_KINDS = {0: "point", 1: "error"}


def site_kind(binary: str, kind: int) -> str:
    """The contract's kind of a hand site (contract/guest_host.def, sitekind)
    of the named binary with descriptor kind `kind`: `kernel` for the
    kernel's own (os/kernel/fi.c: any type matches, the site does its own
    fault), else `point` or `error`."""
    if binary == "kernel":
        return "kernel"
    return DESCRIPTOR_KINDS.get(kind, str(kind))


class ElfFormatError(ValueError):
    """The ELF file (or its fi_sites section) is not what we expect."""


@dataclass
class FaultSite:
    binary: str
    name: str
    file: str
    line: int
    kind: int
    addr: int  # vaddr of the descriptor; its hit counter is at addr + 12
    bit: int = 0  # its bit in the map of armed sites, as the compiler folded it

    @property
    def hits_addr(self) -> int:
        return self.addr + HITS_OFFSET


class _Section:
    """What we keep of one section after the file is closed."""

    def __init__(self, index, name, addr, size, alloc, nobits, data):
        self.index, self.name, self.addr, self.size = index, name, addr, size
        self.alloc, self.nobits, self.data = alloc, nobits, data

    def contains(self, vaddr: int, size: int = 1) -> bool:
        return self.addr <= vaddr and vaddr + size <= self.addr + self.size

    def bytes_at(self, offset: int, size: int) -> bytes:
        if self.nobits:
            return bytes(size)  # .bss starts zeroed
        return self.data[offset:offset + size]


_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")     # Elf32_Ehdr
_SHDR = struct.Struct("<IIIIIIIIII")           # Elf32_Shdr
_SHT_SYMTAB, _SHT_NOBITS, _SHF_ALLOC, _ET_EXEC = 2, 8, 2, 2


def _linked32(blob: bytes):
    """(sections, their (sh_type, sh_link, sh_entsize)) of a linked
    little-endian ELF32 file (every binary of ours), read with struct; None
    for any other file, or one whose headers are not all inside it, which
    pyelftools reads instead and says what is wrong with. Importing and
    running pyelftools cost each campaign process ~0.1 s."""
    if len(blob) < _EHDR.size or blob[:4] != b"\x7fELF" or blob[4:6] != b"\x01\x01":
        return None
    (_, e_type, _, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx) = _EHDR.unpack_from(blob)
    if e_type != _ET_EXEC or shentsize != _SHDR.size or not 0 < shnum or shstrndx >= shnum \
            or shoff + shnum * shentsize > len(blob):
        return None
    heads = [_SHDR.unpack_from(blob, shoff + i * shentsize) for i in range(shnum)]
    noff, nsize = heads[shstrndx][4], heads[shstrndx][5]
    if noff + nsize > len(blob):
        return None
    names = blob[noff:noff + nsize]
    sections, kinds = [], []
    for i, (sh_name, sh_type, flags, addr, off, size, link, _info, _align, entsize) in \
            enumerate(heads):
        end = names.find(b"\0", sh_name)
        if sh_name > len(names) or end < 0:
            return None
        nobits = sh_type in (0, _SHT_NOBITS)           # SHT_NULL, SHT_NOBITS
        if not nobits and off + size > len(blob):
            return None
        sections.append(_Section(index=i, name=names[sh_name:end].decode("utf-8", "replace"),
                                 addr=addr, size=size, alloc=bool(flags & _SHF_ALLOC),
                                 nobits=nobits, data=b"" if nobits else blob[off:off + size]))
        kinds.append((sh_type, link, entsize))
    return sections, kinds


class ElfImage:
    def __init__(self, path: str):
        self.path = str(path)
        try:
            with open(self.path, "rb") as f:
                blob = f.read()
            fast = _linked32(blob)
            symbols = None
            if fast is not None:
                sections, kinds = fast
                symtab = next((s.index for s in sections if s.name == ".symtab"), None)
                self._sections = sections
                symbols = symtab is not None and self._symbols32(symtab, *kinds[symtab])
            if symbols:
                self.relocatable, self.little_endian, self.elfclass = False, True, 32
                self._symbols, self._site_relocs = symbols, {}
            else:
                self._load_any(blob)
        except OSError:
            raise
        except ElfFormatError as e:
            raise ElfFormatError(f"{self.path}: {e}") from None
        except Exception as e:
            # pyelftools reports garbage with many exception types.
            raise ElfFormatError(f"{self.path}: not a valid ELF file: {e}") from e
        self._sites: Optional[List[FaultSite]] = None

    # -- loading -----------------------------------------------------------
    def _load_any(self, blob: bytes) -> None:
        """Any other ELF file (an object before linking, a foreign one), by
        pyelftools."""
        from elftools.elf.elffile import ELFFile
        elf = ELFFile(io.BytesIO(blob))
        self.relocatable = elf["e_type"] == "ET_REL"
        self.little_endian = elf.little_endian
        self.elfclass = elf.elfclass
        self._sections = self._load_sections(elf)
        self._symbols = self._load_symbols32(elf) or self._load_symbols(elf)
        self._site_relocs = self._load_site_relocs(elf)

    @staticmethod
    def _load_sections(elf) -> List[_Section]:
        from elftools.elf.constants import SH_FLAGS
        out = []
        for i, sec in enumerate(elf.iter_sections()):
            nobits = sec["sh_type"] in ("SHT_NOBITS", "SHT_NULL")
            data = b"" if nobits else sec.data()
            if not nobits and len(data) != sec["sh_size"]:
                raise ElfFormatError(
                    f"section {sec.name} is truncated: {len(data)} of "
                    f"{sec['sh_size']} bytes at file offset {sec['sh_offset']:#x}")
            out.append(_Section(
                index=i, name=sec.name, addr=sec["sh_addr"], size=sec["sh_size"],
                alloc=bool(sec["sh_flags"] & SH_FLAGS.SHF_ALLOC), nobits=nobits,
                data=data))
        return out

    def _load_symbols32(self, elf) -> Optional[Dict[str, Tuple[int, int]]]:
        """_symbols32 for a file pyelftools opened; None: not an i386 one."""
        symtab = elf.get_section_by_name(".symtab")
        if self.elfclass != 32 or not self.little_endian or symtab is None:
            return None
        index = next(s.index for s in self._sections if s.name == ".symtab")
        return self._symbols32(index, _SHT_SYMTAB if symtab["sh_type"] == "SHT_SYMTAB" else -1,
                               symtab["sh_link"], symtab["sh_entsize"])

    def _symbols32(self, index: int, sh_type: int, link: int, entsize: int
                   ) -> Optional[Dict[str, Tuple[int, int]]]:
        """_load_symbols for an i386 ELF (all of ours), reading the table
        with struct: pyelftools parses each symbol with its construct
        library, ~10 ms a binary, which every campaign process paid for
        every binary. None: not such a table, _load_symbols reads it."""
        if sh_type != _SHT_SYMTAB or entsize != 16 or not 0 < link < len(self._sections):
            return None
        strtab = self._sections[link].data
        data = self._sections[index].data
        table: Dict[str, Tuple[int, int]] = {}
        local: Dict[str, bool] = {}
        for st_name, value, size, info, _other, shndx in struct.iter_unpack("<IIIBBH", data):
            kind, bind_local = info & 0xf, (info >> 4) == 0
            if not st_name or kind in (3, 4) or shndx == 0:    # STT_SECTION, STT_FILE, SHN_UNDEF
                continue
            end = strtab.find(b"\0", st_name)
            name = strtab[st_name:end if end >= 0 else len(strtab)].decode("utf-8", "replace")
            if not name:
                continue
            # globals win over locals of the same name, else the first one
            if name in table and not (local[name] and not bind_local):
                continue
            table[name] = (value, size)
            local[name] = bind_local
        return table

    @staticmethod
    def _load_symbols(elf):
        """name -> (addr, size); globals win over locals of the same name."""
        from elftools.elf.sections import SymbolTableSection
        table: Dict[str, Tuple[int, int]] = {}
        binding: Dict[str, str] = {}
        symtab = elf.get_section_by_name(".symtab") or elf.get_section_by_name(".dynsym")
        if not isinstance(symtab, SymbolTableSection):
            return table
        for sym in symtab.iter_symbols():
            if not sym.name or sym["st_info"]["type"] in ("STT_SECTION", "STT_FILE"):
                continue
            if sym["st_shndx"] == "SHN_UNDEF":
                continue
            bind = sym["st_info"]["bind"]
            if sym.name in table and not (binding[sym.name] == "STB_LOCAL"
                                          and bind != "STB_LOCAL"):
                continue
            table[sym.name] = (sym["st_value"], sym["st_size"])
            binding[sym.name] = bind
        return table

    @staticmethod
    def _load_site_relocs(elf) -> Dict[int, Tuple[object, Optional[int], int]]:
        """For relocatable files: offset in fi_sites -> (symbol, addend, type)."""
        from elftools.elf.relocation import RelocationSection
        if elf["e_type"] != "ET_REL":
            return {}
        target = None
        for i, sec in enumerate(elf.iter_sections()):
            if sec.name == SITES_SECTION:
                target = i
        if target is None:
            return {}
        relocs = {}
        for sec in elf.iter_sections():
            if not isinstance(sec, RelocationSection) or sec["sh_info"] != target:
                continue
            symtab = elf.get_section(sec["sh_link"])
            for r in sec.iter_relocations():
                sym = symtab.get_symbol(r["r_info_sym"])
                addend = r["r_addend"] if r.is_RELA() else None
                relocs[r["r_offset"]] = (sym, addend, r["r_info_type"])
        return relocs

    # -- symbols -----------------------------------------------------------
    def symbols(self) -> Dict[str, Tuple[int, int]]:
        return dict(self._symbols)

    def symbol(self, name: str) -> Tuple[int, int]:
        try:
            return self._symbols[name]
        except KeyError:
            raise KeyError(f"symbol {name!r} not found in {self.path}") from None

    def address(self, name: str) -> int:
        return self.symbol(name)[0]

    # -- memory image ------------------------------------------------------
    def section_at(self, vaddr: int, size: int = 1) -> Optional[_Section]:
        for sec in self._sections:
            if sec.alloc and sec.size and sec.contains(vaddr, size):
                return sec
        return None

    def read_bytes(self, vaddr: int, size: int) -> bytes:
        """Initial contents of [vaddr, vaddr+size) from one loadable section."""
        sec = self.section_at(vaddr, size)
        if sec is None:
            raise ValueError(f"{self.path}: no loadable section holds "
                             f"{size} bytes at {vaddr:#x}")
        return sec.bytes_at(vaddr - sec.addr, size)

    def read_cstring(self, vaddr: int) -> str:
        sec = self.section_at(vaddr)
        if sec is None:
            raise ValueError(f"{self.path}: no loadable section holds {vaddr:#x}")
        return self._cstring_in(sec, vaddr - sec.addr)

    def _cstring_in(self, sec: _Section, offset: int) -> str:
        data = sec.bytes_at(offset, min(_MAX_STRING, sec.size - offset))
        end = data.find(b"\0")
        if end < 0:
            raise ValueError(f"{self.path}: unterminated string in {sec.name} "
                             f"at offset {offset:#x}")
        return data[:end].decode("utf-8", errors="replace")

    # -- fault sites -------------------------------------------------------
    def fault_sites(self) -> List[FaultSite]:
        if self._sites is None:
            self._sites = self._parse_sites()
        return list(self._sites)

    def _parse_sites(self) -> List[FaultSite]:
        sec = next((s for s in self._sections if s.name == SITES_SECTION), None)
        if sec is None:
            return []
        if sec.nobits:
            raise ElfFormatError(f"{self.path}: section {SITES_SECTION} has no contents")
        if self.elfclass != 32 or not self.little_endian:
            # The descriptor layout is the i386 one: 32-bit little-endian.
            raise ElfFormatError(f"{self.path}: {SITES_SECTION} in a non-i386 ELF")
        data = sec.data
        if len(data) % SITE_SIZE:
            raise ElfFormatError(
                f"{self.path}: section {SITES_SECTION} is {len(data)} bytes, "
                f"not a multiple of {SITE_SIZE} (trailing part at offset "
                f"{len(data) - len(data) % SITE_SIZE:#x})")
        sites = []
        for off in range(0, len(data), SITE_SIZE):
            name_ptr, file_ptr, line, _hits, kind, bit = struct.unpack_from(
                SITE_FORMAT, data, off)
            name = self._site_string(off, name_ptr, "name")
            file = self._site_string(off + 4, file_ptr, "file")
            sites.append(FaultSite(binary=self.path, name=name, file=file,
                                   line=line, kind=kind, addr=sec.addr + off, bit=bit))
        return sites

    def _site_string(self, field_off: int, ptr: int, what: str) -> str:
        desc_off = field_off - field_off % SITE_SIZE
        where = (f"{self.path}: {SITES_SECTION} descriptor at offset "
                 f"{desc_off:#x}: {what} pointer {ptr:#x}")
        try:
            if self.relocatable:
                return self._reloc_string(field_off, ptr, where)
            if ptr == 0:
                raise ElfFormatError(f"{where} is NULL")
            sec = self.section_at(ptr)
            if sec is None:
                raise ElfFormatError(f"{where} is outside any section")
            return self._cstring_in(sec, ptr - sec.addr)
        except ValueError as e:
            if isinstance(e, ElfFormatError):
                raise
            raise ElfFormatError(f"{where}: {e}") from None

    def _reloc_string(self, field_off: int, inplace: int, where: str) -> str:
        # In a .o every section sits at 0; the pointer is a relocation
        # against a symbol (usually the .rodata.str section) plus an addend.
        entry = self._site_relocs.get(field_off)
        if entry is None:
            raise ElfFormatError(f"{where} has no relocation (unlinked object)")
        sym, addend, rtype = entry
        if rtype != _R_386_32:
            raise ElfFormatError(f"{where}: unsupported relocation type {rtype}")
        shndx = sym["st_shndx"]
        if not isinstance(shndx, int) or shndx >= len(self._sections):
            raise ElfFormatError(f"{where}: relocation against an undefined symbol")
        sec = self._sections[shndx]
        offset = sym["st_value"] + (inplace if addend is None else addend)
        if not 0 <= offset < sec.size:
            raise ElfFormatError(f"{where} is outside section {sec.name}")
        return self._cstring_in(sec, offset)
