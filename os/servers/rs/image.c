/* image.c - RS keeps a copy of every executable it starts (from the boot
 * modules), so it can restart a service after a crash without any file
 * system and without the help of the service that died. */
#include "rs.h"
#include "../../include/layout.h"

#define MAX_IMAGES 32
/* the list outlives RS (kept across its own restart, os/kernel/guardian.c);
 * the copies do not: a recovered RS copies each again when first needed */
static struct { char name[PROC_NAME_LEN]; uint8_t *data; uint32_t len; } images[MAX_IMAGES] __attribute__((section(".keep")));
static int nr_images __attribute__((section(".keep")));
static struct boot_image_entry mods[NR_BOOT_PROCS];

/* RS's heap: taken from the kernel page by page as copies need it
 * (SYS_GROW), so a system with few services uses little memory and one
 * with many is bounded by the machine, not by an array sized in advance. */
static uint8_t *heap_next, *heap_end;

static uint8_t *heap_alloc(uint32_t len)
{
    len = (len + 15) & ~15u;
    if (!heap_next || (uint32_t)(heap_end - heap_next) < len) {
        uint32_t more = len - (heap_next ? (uint32_t)(heap_end - heap_next) : 0), at;
        if (sys_grow(more, &at) != OK) return 0;
        if (!heap_next) heap_next = (uint8_t *)at;
        heap_end = (uint8_t *)at + ((more + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
    }
    uint8_t *p = heap_next;
    heap_next += len;
    return p;
}

int image_load(const char *name)
{
    for (int i = 0; i < nr_images; i++)
        if (!strcmp(images[i].name, name)) return i;
    if (nr_images == MAX_IMAGES) return ENOSPC;
    int n = 0, idx = -1;
    uint32_t size = 0;
    if (sys_getinfo(GET_MODULES, mods, sizeof mods, 0, &n) != OK) return EIO;
    for (int i = 0; i < n; i++)
        if (!strcmp(mods[i].name, name)) { idx = mods[i].module; size = mods[i].image_size; }
    if (idx < 0) return ENOENT;
    uint8_t *buf = heap_alloc(size);
    if (!buf) {
        event("ev=image_no_memory name=%s bytes=%u", name, size);
        return ENOMEM;
    }
    uint32_t total = 0;
    int got = sys_getbootmod(idx, 0, buf, size, &total);
    if (got < 0) return got;
    if ((uint32_t)got != total) return ENOMEM;
    strlcpy(images[nr_images].name, name, PROC_NAME_LEN);
    images[nr_images].data = buf;
    images[nr_images].len = total;
    return nr_images++;
}

/* After RS's own restart: the copies were in the old image's heap. */
void image_forget_copies(void)
{
    heap_next = heap_end = 0;
    for (int i = 0; i < nr_images; i++) images[i].data = 0;
}

/* Copy image idx again from its boot module (after image_forget_copies). */
static int image_reload(int idx)
{
    int n = 0;
    uint32_t size = 0;
    int mod = -1;
    if (sys_getinfo(GET_MODULES, mods, sizeof mods, 0, &n) != OK) return EIO;
    for (int i = 0; i < n; i++)
        if (!strcmp(mods[i].name, images[idx].name)) { mod = mods[i].module; size = mods[i].image_size; }
    if (mod < 0) return ENOENT;
    uint8_t *buf = heap_alloc(size);
    if (!buf) return ENOMEM;
    uint32_t total = 0;
    int got = sys_getbootmod(mod, 0, buf, size, &total);
    if (got < 0) return got;
    images[idx].data = buf;
    images[idx].len = total;
    return OK;
}

int image_get(int idx, const uint8_t **data, uint32_t *len)
{
    if (idx < 0 || idx >= nr_images) return EINVAL;
    if (!images[idx].data) {
        int r = image_reload(idx);
        if (r != OK) return r;
    }
    *data = images[idx].data;
    *len = images[idx].len;
    return OK;
}
