/* provides.c - which labels an executable may run under: the strings in
 * its ELF section .provides (SEF_PROVIDES in the service's source). RS
 * checks this before a live update stops anything, so a binary built for
 * another service can never take over a label, registered or not. */
#include "rs.h"
#include "../../include/elf32.h"

int image_provides(int img, const char *label)
{
    const uint8_t *elf;
    uint32_t len;
    if (image_get(img, &elf, &len) != OK || len < sizeof(struct elf32_ehdr)) return 0;
    const struct elf32_ehdr *eh = (const void *)elf;
    if (memcmp(eh->ident, "\177ELF", 4) || eh->shentsize != sizeof(struct elf32_shdr)) return 0;
    if (!elf_in_image(eh->shoff, (uint32_t)eh->shnum * sizeof(struct elf32_shdr), len) ||
        eh->shstrndx >= eh->shnum) return 0;
    const struct elf32_shdr *sh = (const void *)(elf + eh->shoff);
    const struct elf32_shdr *names = &sh[eh->shstrndx];
    if (!elf_in_image(names->offset, names->size, len)) return 0;
    for (int i = 0; i < eh->shnum; i++) {
        if (sh[i].name >= names->size) continue;
        const char *nm = (const char *)elf + names->offset + sh[i].name;
        if (strncmp(nm, ".provides", names->size - sh[i].name) || !elf_in_image(sh[i].offset, sh[i].size, len))
            continue;
        /* NUL-separated labels */
        const char *p = (const char *)elf + sh[i].offset, *end = p + sh[i].size;
        while (p < end) {
            size_t n = 0;
            while (p + n < end && p[n]) n++;
            if (n == strlen(label) && !strncmp(p, label, n)) return 1;
            p += n + 1;
        }
    }
    return 0;
}
