/* elf32.h - the parts of an ELF32 executable the OS reads: the kernel's
 * loader (kernel/elfload.c) and RS, in its copies of executables (the
 * section table in rs/provides.c, the loadable segments in
 * rs/resources.c). */
#ifndef OS_ELF32_H
#define OS_ELF32_H
#include <stdint.h>

struct elf32_ehdr {
    uint8_t  ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

struct elf32_shdr {
    uint32_t name, type, flags, addr, offset, size, link, info, addralign, entsize;
};

#define ELF_PT_LOAD 1
#define ELF_PF_W    2

/* off..off+size lies within an image of len bytes */
static inline int elf_in_image(uint32_t off, uint32_t size, uint32_t len)
{
    return off <= len && size <= len - off;
}
#endif
