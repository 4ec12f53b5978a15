/* image.c - RS keeps a copy of every executable it starts (from the boot
 * modules), so it can restart a service after a crash without any file
 * system and without the help of the service that died. */
#include "rs.h"

#define ARENA_SIZE (1536 * 1024)
#define MAX_IMAGES 24
static uint8_t arena[ARENA_SIZE];
static uint32_t arena_used;
static struct { char name[PROC_NAME_LEN]; uint32_t off, len; } images[MAX_IMAGES];
static int nr_images;
static struct boot_image_entry mods[NR_BOOT_PROCS];

int image_load(const char *name)
{
    for (int i = 0; i < nr_images; i++)
        if (!strcmp(images[i].name, name)) return i;
    if (nr_images == MAX_IMAGES) return ENOSPC;
    int n = 0, idx = -1;
    if (sys_getinfo(GET_MODULES, mods, sizeof mods, 0, &n) != OK) return EIO;
    for (int i = 0; i < n; i++)
        if (!strcmp(mods[i].name, name)) idx = mods[i].module;
    if (idx < 0) return ENOENT;
    uint32_t total = 0, off = arena_used;
    int got = sys_getbootmod(idx, 0, arena + off, ARENA_SIZE - off, &total);
    if (got < 0) return got;
    if ((uint32_t)got != total) return ENOMEM;
    strlcpy(images[nr_images].name, name, PROC_NAME_LEN);
    images[nr_images].off = off;
    images[nr_images].len = total;
    arena_used = (off + total + 15) & ~15u;
    return nr_images++;
}

int image_get(int idx, const uint8_t **data, uint32_t *len)
{
    if (idx < 0 || idx >= nr_images) return EINVAL;
    *data = arena + images[idx].off;
    *len = images[idx].len;
    return OK;
}
