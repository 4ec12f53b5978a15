/* elfload.c - ELF32 loader for boot modules and SYS_EXEC images. Every
 * header field is checked against the image length and the user part of
 * the address space, since the image may come from an untrusted caller. */
#include "elfload.h"
#include "memory.h"
#include "../include/elf32.h"

int mem_reader(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, (const uint8_t *)ctx + off, len);
    return OK;
}

/* Pages an image's loadable segments need, page tables included, or
 * ENOEXEC for a header no image may have. Sums are in 64 bits: a segment
 * near the top of the address space must not wrap to a small count. */
static int elf_pages(img_reader rd, void *ctx, const struct elf32_ehdr *eh, uint32_t img_len,
                     uint64_t *pages)
{
    *pages = 0;
    for (int i = 0; i < eh->phnum; i++) {
        struct elf32_phdr ph;
        if (rd(ctx, eh->phoff + i * sizeof ph, &ph, sizeof ph) != OK) return ENOEXEC;
        if (ph.type != ELF_PT_LOAD || ph.memsz == 0) continue;
        if (ph.filesz > ph.memsz || ph.offset > img_len || ph.filesz > img_len - ph.offset ||
            ph.vaddr < USER_BASE)
            return ENOEXEC;
        uint64_t first = ph.vaddr / PAGE_SIZE;
        uint64_t end = ((uint64_t)ph.vaddr + ph.memsz + PAGE_SIZE - 1) / PAGE_SIZE;
        *pages += (end - first) + (end - first + 1023) / 1024 + 1;
    }
    return OK;
}

int elf_load(uint32_t *pd, img_reader rd, void *ctx, uint32_t img_len, uint32_t mem_max,
             uint32_t *entry)
{
    struct elf32_ehdr eh;
    if (img_len < sizeof eh || rd(ctx, 0, &eh, sizeof eh) != OK) return ENOEXEC;
    if (memcmp(eh.ident, "\177ELF", 4) || eh.ident[4] != 1 || eh.ident[5] != 1 ||
        eh.type != 2 || eh.machine != 3 || eh.phentsize != sizeof(struct elf32_phdr) ||
        eh.phnum == 0 || eh.phnum > 16)
        return ENOEXEC;
    if (eh.phoff > img_len || eh.phnum * sizeof(struct elf32_phdr) > img_len - eh.phoff)
        return ENOEXEC;
    if (eh.entry < USER_BASE || eh.entry >= USER_TOP) return ENOEXEC;

    /* The size is checked before anything is mapped: loading takes time
     * in proportion to it with interrupts off, and the program file, not
     * the kernel, chose it. Too big for the caller's bound, or for the
     * memory left (the stack still to come), is ENOMEM. */
    uint64_t pages;
    int r = elf_pages(rd, ctx, &eh, img_len, &pages);
    if (r != OK) return r;
    if (pages > mem_max / PAGE_SIZE ||
        pages + USER_STACK_SIZE / PAGE_SIZE + 2 > frames_free())
        return ENOMEM;

    uint8_t chunk[512];
    uint64_t used = 0;
    for (int i = 0; i < eh.phnum; i++) {
        struct elf32_phdr ph;
        if (rd(ctx, eh.phoff + i * sizeof ph, &ph, sizeof ph) != OK) return ENOEXEC;
        if (ph.type != ELF_PT_LOAD || ph.memsz == 0) continue;
        /* checked again: the reader may be a user's memory, read twice,
         * and the second reading must not map more than the first counted */
        if (ph.filesz > ph.memsz || ph.offset > img_len || ph.filesz > img_len - ph.offset ||
            ph.vaddr < USER_BASE || ph.vaddr > USER_STACK_TOP - USER_STACK_SIZE ||
            ph.memsz > USER_STACK_TOP - USER_STACK_SIZE - ph.vaddr)
            return ENOEXEC;
        uint32_t seg_pages = (uint32_t)(((uint64_t)ph.vaddr + ph.memsz + PAGE_SIZE - 1) / PAGE_SIZE
                                        - ph.vaddr / PAGE_SIZE);
        used += seg_pages + (seg_pages + 1023) / 1024 + 1;
        if (used > pages) return ENOMEM;
        uint32_t flags = PTE_U | ((ph.flags & ELF_PF_W) ? PTE_W : 0);
        r = pdir_alloc_range(pd, ph.vaddr, ph.memsz, flags);
        if (r != OK) return r;
        for (uint32_t done = 0; done < ph.filesz; ) {
            uint32_t n = ph.filesz - done > sizeof chunk ? sizeof chunk : ph.filesz - done;
            if ((r = rd(ctx, ph.offset + done, chunk, n)) != OK) return r;
            if ((r = copy_to_image(pd, ph.vaddr + done, chunk, n)) != OK) return r;
            done += n;
        }
    }
    *entry = eh.entry;
    return OK;
}

/* Build argc/argv on a new user stack from a space-separated string. */
int stack_setup(uint32_t *pd, const char *args, uint32_t *esp_out)
{
    int r = pdir_alloc_range(pd, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, PTE_U | PTE_W);
    if (r != OK) return r;
    char strs[256];
    uint32_t len = 0;
    strlcpy(strs, args ? args : "", sizeof strs);
    len = (uint32_t)strlen(strs) + 1;
    uint32_t str_va = (USER_STACK_TOP - len) & ~3u;
    uint32_t argv[32];
    int argc = 0;
    for (uint32_t i = 0; i < len && argc < 31; ) {
        while (strs[i] == ' ') strs[i++] = 0;
        if (!strs[i]) break;
        argv[argc++] = str_va + i;
        while (strs[i] && strs[i] != ' ') i++;
    }
    argv[argc] = 0;
    uint32_t argv_va = str_va - (uint32_t)(argc + 1) * 4;
    uint32_t sp = argv_va - 8;
    uint32_t frame[2] = { (uint32_t)argc, argv_va };
    if ((r = copy_to_image(pd, str_va, strs, len)) != OK ||
        (r = copy_to_image(pd, argv_va, argv, (uint32_t)(argc + 1) * 4)) != OK ||
        (r = copy_to_image(pd, sp, frame, sizeof frame)) != OK)
        return r;
    *esp_out = sp;
    return OK;
}
