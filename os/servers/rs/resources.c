/* resources.c - what starting an instance of a service needs, against what
 * the machine has. RS holds a copy of every executable it may start, so
 * the one thing a restart can run short of is memory: the frames for the
 * new image (its loadable segments, stack, page tables). RS counts them
 * from its copy and asks the kernel how many are free before it stops or
 * replaces anything; when they are not there it says so, and the caller
 * decides: a core service's restart panics the system (it cannot go on
 * without it), any other service goes down, a `service up` or update is
 * refused with nothing changed. */
#include "rs.h"
#include "../../include/elf32.h"
#include "../../include/layout.h"

#define PAGES(x) (((x) + PAGE_SIZE - 1) / PAGE_SIZE)
/* page directory, and page tables for the code, stack and keep regions */
#define TABLE_FRAMES 5

/* Frames an instance of image img needs, 0 if the copy is unreadable. */
static uint32_t frames_needed(int img)
{
    const uint8_t *elf;
    uint32_t len;
    if (image_get(img, &elf, &len) != OK || len < sizeof(struct elf32_ehdr)) return 0;
    const struct elf32_ehdr *eh = (const void *)elf;
    if (!elf_in_image(eh->phoff, (uint32_t)eh->phnum * sizeof(struct elf32_phdr), len)) return 0;
    const struct elf32_phdr *ph = (const void *)(elf + eh->phoff);
    uint32_t frames = PAGES(USER_STACK_SIZE) + TABLE_FRAMES;
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != ELF_PT_LOAD || ph[i].memsz == 0) continue;
        uint32_t first = ph[i].vaddr & ~(PAGE_SIZE - 1);
        frames += PAGES(ph[i].vaddr + ph[i].memsz - first);
    }
    return frames;
}

static uint32_t frames_free(void)
{
    struct kinfo k;
    int n = 0;
    if (sys_getinfo(GET_KINFO, &k, sizeof k, 0, &n) != OK || n != 1) return 0;
    return k.free_frames;
}

int resources_ok(struct rproc *rp, int img, const char *why)
{
    uint32_t need = frames_needed(img), have = frames_free();
    if (need && need <= have) return 1;
    event("ev=resources_short label=%s for=%s need_frames=%u free_frames=%u", rp->pub.label, why,
          need, have);
    return 0;
}
