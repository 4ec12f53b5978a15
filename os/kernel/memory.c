/* memory.c - frame allocator, per-process page directories with the kernel
 * identity-mapped supervisor-only, and the checked user copies every
 * kernel call uses. The kernel reaches any frame through the identity map,
 * so copies walk the target's page tables and never trust a user pointer. */
#include "memory.h"
#include "proc.h"

#define MAX_FRAMES (USER_BASE / PAGE_SIZE)     /* RAM must lie below USER_BASE */
static uint32_t frame_bitmap[MAX_FRAMES / 32]; /* 1 = used */
static uint32_t nr_frames, first_free_frame, free_count;
/* Allocation is O(1), so no kernel call's length depends on how full
 * memory is: frames freed once wait on a stack of frame numbers, and
 * frames never handed out lie above a watermark. The stack lives in frames
 * of its own, taken at boot (4 bytes a frame), not in the free frames: a
 * freed frame keeps its contents until it is handed out again, as a page
 * directory freed while still in CR3 (a process ending itself) must. The
 * bitmap stays the truth: it catches a double free, and each frame the
 * stack yields is checked against it. */
static uint32_t *free_stack, free_top;
static uint32_t fresh_frame;                   /* frames from here on: never used */
uint32_t *kernel_pdir;

void mem_init(uint32_t ram_end, uint32_t free_start)
{
    if (ram_end > USER_BASE) ram_end = USER_BASE;
    nr_frames = ram_end / PAGE_SIZE;
    first_free_frame = (free_start + PAGE_SIZE - 1) / PAGE_SIZE;
    free_stack = (uint32_t *)(first_free_frame * PAGE_SIZE);   /* paging is off yet */
    first_free_frame += (nr_frames * sizeof(uint32_t) + PAGE_SIZE - 1) / PAGE_SIZE;
    KASSERT(first_free_frame < nr_frames);
    for (uint32_t f = 0; f < nr_frames; f++)
        if (f < first_free_frame) frame_bitmap[f / 32] |= 1u << (f % 32);
        else free_count++;
    fresh_frame = first_free_frame;
    free_top = 0;

    /* Kernel page directory: identity map of RAM, supervisor-only, shared
     * by every address space. With 4 KiB pages, not 4 MiB ones: the dirty
     * bit the CPU sets in each page's entry then records every kernel
     * write, which is how the in-guest reset (warm.c) knows the frames an
     * experiment changed. The page tables are shared by every directory. */
    kernel_pdir = (uint32_t *)frame_alloc();
    KASSERT(kernel_pdir);
    for (uint32_t va = 0; va < ram_end; va += 0x400000) {
        uint32_t *pt = (uint32_t *)frame_alloc();
        KASSERT(pt);
        for (uint32_t j = 0; j < 1024 && va + j * PAGE_SIZE < ram_end; j++)
            pt[j] = (va + j * PAGE_SIZE) | PTE_P | PTE_W;
        kernel_pdir[va >> 22] = (uint32_t)pt | PTE_P | PTE_W;
    }
    conring_map(kernel_pdir);
    uint32_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | 0x10));      /* PSE */
    pdir_activate(kernel_pdir);
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" :: "r"(cr0 | 0x80010000)); /* PG, WP */
}

uint32_t mem_bytes(void) { return nr_frames * PAGE_SIZE; }

/* The allocator's counts agree (kcheck.c, after a contained fault): 0 if
 * so, else what is wrong. */
const char *mem_check(void)
{
    if (fresh_frame > nr_frames || free_top > nr_frames) return "frame allocator bounds";
    if (free_count != (nr_frames - fresh_frame) + free_top) return "free frame count";
    return 0;
}
uint32_t frames_free(void) { return free_count; }

/* The end of the frames ever handed out: the ones above have never been
 * used since boot (warm.c saves only those below). */
uint32_t mem_watermark(void) { return fresh_frame * PAGE_SIZE; }

/* Zeroing is most of an allocation's cost: memset's eight words a step
 * (string.c says why not a rep stosl). */
static void page_zero(uint32_t pa)
{
    memset((void *)pa, 0, PAGE_SIZE);
}

uint32_t frame_alloc(void)
{
    uint32_t f;
    if (free_top) {
        f = free_stack[--free_top];
        KASSERT(f >= first_free_frame && f < fresh_frame);
        KASSERT(!(frame_bitmap[f / 32] & (1u << (f % 32))));
    } else if (fresh_frame < nr_frames) {
        f = fresh_frame++;
    } else {
        return 0;
    }
    frame_bitmap[f / 32] |= 1u << (f % 32);
    free_count--;
    page_zero(f * PAGE_SIZE);
    return f * PAGE_SIZE;
}

void frame_free(uint32_t pa)
{
    uint32_t f = pa / PAGE_SIZE;
    KASSERT(pa % PAGE_SIZE == 0);
    KASSERT(f >= first_free_frame && f < fresh_frame);
    KASSERT(frame_bitmap[f / 32] & (1u << (f % 32)));
    frame_bitmap[f / 32] &= ~(1u << (f % 32));
    free_count++;
    free_stack[free_top++] = f;     /* at most nr_frames: each frame once, by the bitmap */
}

/* The directory CR3 holds. Loading the same one again only flushes the
 * TLB, which under QEMU's TCG costs more than the kernel call that led
 * here: a process that makes kernel calls in a row keeps its TLB. Any
 * change to the mappings of the loaded directory forgets it (touched()),
 * so the next activation reloads and flushes as before. */
static uint32_t *loaded;

static void touched(uint32_t *pd)
{
    if (pd == loaded) loaded = 0;
}

void pdir_activate(uint32_t *pd)
{
    if (pd == loaded) return;
    loaded = pd;
    __asm__ volatile("mov %0, %%cr3" :: "r"(pd) : "memory");
}

uint32_t *pdir_new(void)
{
    uint32_t *pd = (uint32_t *)frame_alloc();
    if (!pd) return 0;
    memcpy(pd, kernel_pdir, (USER_BASE >> 22) * sizeof(uint32_t));
    if (fi_map(pd) != OK) { frame_free((uint32_t)pd); return 0; }
    return pd;
}

void pdir_free(uint32_t *pd)
{
    touched(pd);
    for (uint32_t i = USER_BASE >> 22; i < USER_TOP >> 22; i++) {
        if (!(pd[i] & PTE_P)) continue;
        uint32_t *pt = (uint32_t *)(pd[i] & ~0xfffu);
        for (int j = 0; j < 1024; j++)
            if ((pt[j] & PTE_P) && !(pt[j] & PTE_SHARED))
                frame_free(pt[j] & ~0xfffu);
        frame_free((uint32_t)pt);
    }
    frame_free((uint32_t)pd);
}

static uint32_t *pte_of(uint32_t *pd, uint32_t va, int create)
{
    uint32_t *pde = &pd[va >> 22];
    if (!(*pde & PTE_P)) {
        if (!create) return 0;
        uint32_t pt = frame_alloc();
        if (!pt) return 0;
        *pde = pt | PTE_P | PTE_W | PTE_U;
    }
    return &((uint32_t *)(*pde & ~0xfffu))[(va >> 12) & 0x3ff];
}

int pdir_map(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
    if (va < USER_BASE || va >= USER_TOP) return EFAULT;
    touched(pd);
    uint32_t *pte = pte_of(pd, va, 1);
    if (!pte) return ENOMEM;
    *pte = (pa & ~0xfffu) | flags | PTE_P;
    return OK;
}

/* Map fresh zeroed frames over [va, va+len), keeping pages already there. */
int pdir_alloc_range(uint32_t *pd, uint32_t va, uint32_t len, uint32_t flags)
{
    uint32_t end = va + len;
    if (end < va || va < USER_BASE || end > USER_TOP) return EFAULT;
    touched(pd);
    for (uint32_t a = va & ~0xfffu; a < end; a += PAGE_SIZE) {
        uint32_t *pte = pte_of(pd, a, 1);
        if (!pte) return ENOMEM;
        if (*pte & PTE_P) { *pte |= flags; continue; }
        uint32_t f = frame_alloc();
        if (!f) return ENOMEM;
        *pte = f | flags | PTE_P;
    }
    return OK;
}

/* Exec in place: the pages of the keep region the old image had move to
 * the new one, which has that region too (its .keep section), instead of
 * the new image's zeroed frames. Pages only one side has stay as they are:
 * the old image's are freed with it. */
int pdir_keep(uint32_t *from, uint32_t *to)
{
    int moved = 0;
    touched(from);
    touched(to);
    for (uint32_t va = KEEP_BASE; va < KEEP_BASE + KEEP_SIZE; va += PAGE_SIZE) {
        uint32_t *o = pte_of(from, va, 0), *n = pte_of(to, va, 0);
        if (!o || !n || !(*o & PTE_P) || !(*n & PTE_P) || (*o & PTE_SHARED) || (*n & PTE_SHARED))
            continue;
        frame_free(*n & ~0xfffu);
        *n = (*o & ~0xfffu) | (*n & 0xfffu);
        *o = 0;
        moved++;
    }
    return moved;
}

/* Live update: the new version (to) starts with a copy of what the old one
 * (from) keeps, page by page where both images have the page; the old
 * one's pages stay, so it can go on if the update is rolled back. */
int pdir_keep_copy(uint32_t *from, uint32_t *to)
{
    int copied = 0;
    touched(to);
    for (uint32_t va = KEEP_BASE; va < KEEP_BASE + KEEP_SIZE; va += PAGE_SIZE) {
        uint32_t *o = pte_of(from, va, 0), *n = pte_of(to, va, 0);
        if (!o || !n || !(*o & PTE_P) || !(*n & PTE_P) || (*o & PTE_SHARED) || (*n & PTE_SHARED))
            continue;
        memcpy((void *)(*n & ~0xfffu), (void *)(*o & ~0xfffu), PAGE_SIZE);
        copied++;
    }
    return copied;
}

uint32_t *pdir_clone(uint32_t *src)
{
    uint32_t *pd = pdir_new();
    if (!pd) return 0;
    for (uint32_t i = USER_BASE >> 22; i < USER_TOP >> 22; i++) {
        if (!(src[i] & PTE_P)) continue;
        uint32_t *spt = (uint32_t *)(src[i] & ~0xfffu);
        for (uint32_t j = 0; j < 1024; j++) {
            uint32_t e = spt[j];
            if (!(e & PTE_P)) continue;
            uint32_t va = (i << 22) | (j << 12), f;
            if (e & PTE_SHARED) f = e & ~0xfffu;
            else {
                f = frame_alloc();
                if (!f) { pdir_free(pd); return 0; }
                memcpy((void *)f, (void *)(e & ~0xfffu), PAGE_SIZE);
            }
            if (pdir_map(pd, va, f, e & 0xfffu) != OK) {
                if (!(e & PTE_SHARED)) frame_free(f);
                pdir_free(pd);
                return 0;
            }
        }
    }
    return pd;
}

/* Physical address of a user byte, or 0 if the page may not be used. */
static uint32_t translate(uint32_t *pd, uint32_t va, int write, int ignore_w)
{
    if (va < USER_BASE || va >= USER_TOP || !pd) return 0;
    uint32_t pde = pd[va >> 22];
    if ((pde & (PTE_P | PTE_U)) != (PTE_P | PTE_U)) return 0;
    uint32_t pte = ((uint32_t *)(pde & ~0xfffu))[(va >> 12) & 0x3ff];
    if ((pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U)) return 0;
    if (write && !ignore_w && !(pte & PTE_W)) return 0;
    return (pte & ~0xfffu) | (va & 0xfff);
}

int user_range_ok(struct proc *p, uint32_t uaddr, uint32_t len, int write)
{
    if (uaddr + len < uaddr) return 0;
    for (uint32_t a = uaddr; a < uaddr + len; a = (a & ~0xfffu) + PAGE_SIZE)
        if (!translate(p->pdir, a, write, 0)) return 0;
    return 1;
}

static int copy_chunks(uint32_t *pd, uint32_t uaddr, uint8_t *kbuf, uint32_t len,
                       int to_user, int ignore_w)
{
    if (uaddr + len < uaddr) return EFAULT;
    while (len) {
        uint32_t pa = translate(pd, uaddr, to_user, ignore_w);
        if (!pa) return EFAULT;
        uint32_t n = PAGE_SIZE - (uaddr & 0xfff);
        if (n > len) n = len;
        if (to_user) memcpy((void *)pa, kbuf, n);
        else memcpy(kbuf, (void *)pa, n);
        uaddr += n; kbuf += n; len -= n;
    }
    return OK;
}

int copy_from_user(struct proc *p, uint32_t uaddr, void *dst, uint32_t len)
{
    return copy_chunks(p->pdir, uaddr, dst, len, 0, 0);
}

int copy_to_user(struct proc *p, uint32_t uaddr, const void *src, uint32_t len)
{
    /* check the whole range first so a failed copy changes nothing */
    if (!user_range_ok(p, uaddr, len, 1)) return EFAULT;
    return copy_chunks(p->pdir, uaddr, (uint8_t *)src, len, 1, 0);
}

int copy_to_image(uint32_t *pd, uint32_t va, const void *src, uint32_t len)
{
    return copy_chunks(pd, va, (uint8_t *)src, len, 1, 1);
}

int copy_user_to_user(struct proc *sp, uint32_t saddr, struct proc *dp, uint32_t daddr, uint32_t len)
{
    if (!user_range_ok(sp, saddr, len, 0) || !user_range_ok(dp, daddr, len, 1))
        return EFAULT;
    while (len) {
        uint32_t s = translate(sp->pdir, saddr, 0, 0), d = translate(dp->pdir, daddr, 1, 0);
        uint32_t n = PAGE_SIZE - (saddr & 0xfff);
        if (PAGE_SIZE - (daddr & 0xfff) < n) n = PAGE_SIZE - (daddr & 0xfff);
        if (n > len) n = len;
        memcpy((void *)d, (void *)s, n);
        saddr += n; daddr += n; len -= n;
    }
    return OK;
}
