/* warm.c - the in-guest reset: the kernel brings the machine back to the
 * plan point itself, so a campaign machine runs experiment after
 * experiment without QEMU's loadvm, which throws away every block TCG has
 * translated (issue 23).
 *
 * With "warm=1" on the command line the kernel keeps the upper part of
 * RAM for itself: a header (bookkeeping, the stack the copies run on) and
 * a copy of all the RAM the OS uses. At the plan point (plan.c) it
 * copies the OS's RAM there, with paging off, the kernel's registers kept
 * on its own stack (warm_switch.S). At the end of a run, if the host
 * asks (warm_go, written at machine_off_point), it copies back every frame
 * the run may have changed and returns, through the saved stack, to the
 * plan point as if the save had just finished. The reserved part is never
 * mapped, so nothing the OS does, however faulty, can reach it.
 *
 * Which frames a run changed, without comparing all of RAM:
 *  - every kernel write goes through the kernel's identity map, whose
 *    page entries get their dirty bit from the CPU (memory.c maps RAM
 *    with 4 KiB pages for this); frames handed out during the run are
 *    zeroed through it, so they are dirty too;
 *  - user writes go through the processes' page tables, whose dirty bits
 *    name the frames written. A table the kernel did not write during the
 *    run (its own frame is clean in the kernel's map) still holds every
 *    mapping it had at the save, with the CPU's dirty bits; a table the
 *    kernel changed (a mapping removed or moved, or the frame freed and
 *    handed out again) may have lost them, so every frame its saved copy
 *    mapped writable is copied back. The tables themselves, the page
 *    directories and the kernel's page tables are copied back every time:
 *    the CPU sets accessed bits in them without a dirty bit anywhere;
 *  - the host writes through the debugger, which sets no dirty bit: the
 *    frames of what it writes (the plan, the fault table, the golden
 *    run's site table, warm_go) are compared and copied back if they
 *    differ.
 * "warm=layout" keeps the same memory without the copy (a machine that
 * boots for each run: its runs are those of a machine that resets).
 * "warm=verify" also compares every other frame with the copy after a
 * reset and counts those that differ (warm_stats.missed), for the tests.
 *
 * The devices: a reset leaves the PIC, the PIT, the HPET and the UART as
 * the run left them, and the virtual clock has gone on. At the plan point,
 * after a boot and after a reset alike, the kernel initialises the PIC
 * again with the masks it had, starts the PIT and the HPET afresh and sets
 * the UART's registers (settle()), on the same code path, so everything
 * after it happens at the same instruction counts: a run after a reset
 * gives the trace of a run after a boot (tests/test_determinism.py). */
#include "warm.h"
#include "memory.h"
#include "proc.h"
#include "protect.h"
#include "watchdog.h"
#include "system.h"
#include "../include/layout.h"
#include "../include/fi.h"

#define WARM_MAGIC  0x4d524157u                /* "WARM" */
#define MAX_FRAMES  (USER_BASE / PAGE_SIZE)
#define BITMAP_WORDS (MAX_FRAMES / 32)

struct warm_area {
    uint32_t magic;
    uint32_t esp;                  /* WARM_OFF_ESP: the kernel stack at the save */
    uint32_t cr3;                  /* WARM_OFF_CR3 */
    uint32_t os_end;               /* bytes of RAM the OS uses */
    uint32_t copy;                 /* where the copy of them begins */
    uint32_t verify;
    uint32_t copy_on;              /* 0: warm=layout, the same memory but no copy */
    uint32_t used;                 /* bytes copied: frames above were never used */
    uint32_t always[BITMAP_WORDS]; /* frames copied back every time */
    uint32_t tables[BITMAP_WORDS]; /* user page tables at the save: their dirty bits */
    uint32_t check[BITMAP_WORDS];  /* frames the host writes: copied back if they differ */
    uint32_t dirty[BITMAP_WORDS];
};
_Static_assert(__builtin_offsetof(struct warm_area, esp) == WARM_OFF_ESP, "asm offset");
_Static_assert(__builtin_offsetof(struct warm_area, cr3) == WARM_OFF_CR3, "asm offset");
_Static_assert(sizeof(struct warm_area) + 16384 <= WARM_HDR, "header and its stack");

static struct warm_area *area;       /* 0: no reset here */
/* the kernel's own copy of the area's settings: with paging on the area
 * cannot be read */
static uint32_t os_kb, copy_on, verify, warm_saved;
volatile uint32_t warm_go;

/* What the last reset did, for the host (read through the debugger). It
 * is written after the copy back, so it is the one word of RAM a reset
 * leaves different from a boot's; no code of the OS reads it. */
struct { uint32_t resets, frames, missed; } warm_stats;

/* The devices' state at the plan point; kept in RAM, so a reset gets the
 * values the save saw with the rest of memory. */
static struct { uint8_t pic[2], uart[3]; } dev;

extern char plan_steps[];
extern volatile uint32_t plan_mark[];
extern volatile uint32_t conring_mark[];
extern volatile uint32_t off_mark[];
extern volatile uint32_t plan_deadline_ms;
#if FAULTINJ
extern struct fi_golden_site fi_golden_sites[FI_GOLDEN_MAX];
extern uint32_t fi_golden_nr;
extern char fi_golden_bins[FI_GOLDEN_BINS][FI_GOLDEN_NAME];
#endif

static inline void bit_set(uint32_t *bm, uint32_t f) { bm[f / 32] |= 1u << (f % 32); }

/* Frames are copied, cleared and compared with the kernel's memcpy,
 * memset and memcmp (os/lib/libc/string.c), which go eight words a step
 * past 64 bytes: under TCG each iteration of a rep-prefixed instruction
 * is a dispatch of its block, and a reset's ~100 frames back and the
 * host's frames compared took ~5 ms of host time that way. A frame saved
 * as zeros has no copy to compare with: nonzero() looks at it eight words
 * a step too. */
static int nonzero(const uint32_t *p, uint32_t words)
{
    for (uint32_t i = 0; i < words; i += 8)
        if (p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] | p[i + 6] | p[i + 7])
            return 1;
    return 0;
}

static int frame_differs(uint32_t f, const struct warm_area *a)
{
    const uint32_t *p = (const uint32_t *)(f * PAGE_SIZE);
    if (f * PAGE_SIZE >= a->used)                /* saved as zeros */
        return nonzero(p, PAGE_SIZE / 4);
    return memcmp(p, (const void *)(a->copy + f * PAGE_SIZE), PAGE_SIZE) != 0;
}

/* Frame f as the save had it. */
static void frame_back(uint32_t f, const struct warm_area *a)
{
    if (f * PAGE_SIZE >= a->used)
        memset((void *)(f * PAGE_SIZE), 0, PAGE_SIZE);
    else
        memcpy((void *)(f * PAGE_SIZE), (const void *)(a->copy + f * PAGE_SIZE), PAGE_SIZE);
}

uint32_t warm_reserve(const char *cmdline, uint32_t ram_end)
{
    const char *p = cmdline ? strstr(cmdline, "warm=") : 0;
    if (!p || p[5] == '0' || ram_end < WARM_HDR + (32u << 20)) return ram_end;
    /* the OS gets the lower half (whole 4 MiB), the copy the upper */
    uint32_t os_end = ((ram_end - WARM_HDR) / 2) & ~0x3fffffu;
    if (os_end > USER_BASE) os_end = USER_BASE;
    area = (struct warm_area *)os_end;
    area->magic = 0;
    area->os_end = os_end;
    area->copy = os_end + WARM_HDR;
    area->verify = p[5] == 'v';
    area->copy_on = p[5] != 'l';
    os_kb = os_end / 1024;
    copy_on = area->copy_on;
    verify = area->verify;
    return os_end;
}

void warm_init(void)
{
    if (area)
        /* the same line whether this machine copies or not: a run's
         * trace does not depend on how its machine came to the plan point */
        kevent("ev=warm os_kb=%u", os_kb);
}

/* Paging is off from here to resume (warm_switch.S). */

static void mark_range(uint32_t *bm, const volatile void *p, uint32_t len)
{
    for (uint32_t pa = (uint32_t)p & ~0xfffu; pa < (uint32_t)p + len; pa += PAGE_SIZE)
        bit_set(bm, pa / PAGE_SIZE);
}

/* What the host writes at the plan point (faultinj/planned.py, arming.py,
 * campaigns/golden.py) */
static void mark_host_writes(uint32_t *bm)
{
    mark_range(bm, plan_steps, FI_PLAN_MAX);
    mark_range(bm, &plan_deadline_ms, sizeof plan_deadline_ms);
    mark_range(bm, &warm_go, sizeof warm_go);
#if FAULTINJ
    mark_range(bm, &fi_table, sizeof fi_table);
    mark_range(bm, fi_golden_sites, sizeof fi_golden_sites);
    mark_range(bm, &fi_golden_nr, sizeof fi_golden_nr);
    mark_range(bm, fi_golden_bins, sizeof fi_golden_bins);
#endif
}

/* At the save: the frames copied back every time (the directories and
 * the kernel's page tables), the user page tables, the host's frames; and
 * no dirty bit left in any user page table. */
static void mark_always(struct warm_area *a)
{
    uint32_t nf = a->os_end / PAGE_SIZE;
    memset(a->always, 0, sizeof a->always);
    memset(a->tables, 0, sizeof a->tables);
    memset(a->check, 0, sizeof a->check);
    mark_host_writes(a->check);
    bit_set(a->always, (uint32_t)kernel_pdir / PAGE_SIZE);
    for (uint32_t i = 0; i < a->os_end >> 22; i++)
        bit_set(a->always, (kernel_pdir[i] & ~0xfffu) / PAGE_SIZE);
    for (int n = 0; n < NR_TASKS + NR_PROCS; n++) {
        uint32_t *pd = proc_table[n].pdir;
        if (!pd || pd == kernel_pdir || (uint32_t)pd / PAGE_SIZE >= nf) continue;
        bit_set(a->always, (uint32_t)pd / PAGE_SIZE);
        for (uint32_t i = USER_BASE >> 22; i < USER_TOP >> 22; i++) {
            if (!(pd[i] & PTE_P) || (pd[i] & PTE_PS)) continue;
            uint32_t *pt = (uint32_t *)(pd[i] & ~0xfffu);
            if ((uint32_t)pt / PAGE_SIZE >= nf) continue;
            bit_set(a->always, (uint32_t)pt / PAGE_SIZE);
            bit_set(a->tables, (uint32_t)pt / PAGE_SIZE);
            for (int j = 0; j < 1024; j++)
                pt[j] &= ~PTE_D;          /* from here, a user write marks its frame */
        }
    }
}

static void save_work(struct warm_area *a)
{
    mark_always(a);
    for (uint32_t i = 0; i < a->os_end >> 22; i++) {
        uint32_t *pt = (uint32_t *)(kernel_pdir[i] & ~0xfffu);
        for (uint32_t j = 0; j < 1024; j++)
            pt[j] &= ~PTE_D;          /* from here, a kernel write marks its frame */
    }
    if (!a->copy_on) return;
    /* frames never handed out hold the zeros QEMU started with: only
     * those below are copied (a fifth of the OS's RAM at the plan point) */
    a->used = mem_watermark();
    memcpy((void *)a->copy, (const void *)0, a->used);
    a->magic = WARM_MAGIC;
}

#define NMARKS 3
static int is_mark(uint32_t f, const uint32_t *marks)
{
    for (int i = 0; i < NMARKS; i++)
        if (f == marks[i]) return 1;
    return 0;
}

/* Whether any of eight page entries has its dirty bit: most have not,
 * and one test of eight is one block under TCG, not eight. */
static inline int any_dirty(const uint32_t *e)
{
    return ((e[0] | e[1] | e[2] | e[3] | e[4] | e[5] | e[6] | e[7]) & PTE_D) != 0;
}

static void restore_work(struct warm_area *a)
{
    uint32_t nf = a->os_end / PAGE_SIZE;
    const uint32_t marks[NMARKS] = {(uint32_t)plan_mark / PAGE_SIZE,
                                    (uint32_t)conring_mark / PAGE_SIZE,
                                    (uint32_t)off_mark / PAGE_SIZE};
    /* the run's page tables, read before anything is copied back: kernel
     * tables from the copy's directory, never from a directory the run
     * may have damaged */
    const uint32_t *kpd = (const uint32_t *)(a->copy + (uint32_t)kernel_pdir);
    memset(a->dirty, 0, sizeof a->dirty);
    for (uint32_t i = 0; i < a->os_end >> 22; i++) {
        const uint32_t *pt = (const uint32_t *)(kpd[i] & ~0xfffu);
        for (uint32_t j = 0; j < 1024; j += 8)
            if (any_dirty(pt + j))
                for (uint32_t k = j; k < j + 8; k++)
                    if (pt[k] & PTE_D) bit_set(a->dirty, i * 1024 + k);
    }
    for (uint32_t w = 0; w < BITMAP_WORDS && w * 32 < nf; w++) {
        for (uint32_t b = 0; b < 32 && (a->tables[w] >> b); b++) {
            if (!(a->tables[w] & (1u << b))) continue;
            uint32_t t = w * 32 + b;
            if (a->dirty[w] & (1u << b)) {
                /* the kernel changed this table: what it mapped writable at
                 * the save, from the saved copy */
                const uint32_t *old = (const uint32_t *)(a->copy + t * PAGE_SIZE);
                for (int j = 0; j < 1024; j++)
                    if ((old[j] & (PTE_P | PTE_W)) == (PTE_P | PTE_W) && (old[j] >> 12) < nf)
                        bit_set(a->dirty, old[j] >> 12);
            } else {
                const uint32_t *pt = (const uint32_t *)(t * PAGE_SIZE);
                for (int j = 0; j < 1024; j += 8)
                    if (any_dirty(pt + j))
                        for (int k = j; k < j + 8; k++)
                            if ((pt[k] & (PTE_P | PTE_D)) == (PTE_P | PTE_D) && (pt[k] >> 12) < nf)
                                bit_set(a->dirty, pt[k] >> 12);
            }
        }
    }
    for (uint32_t w = 0; w < BITMAP_WORDS; w++)
        a->dirty[w] |= a->always[w];
    /* the pages of plan_mark, conring_mark and off_mark are the host's
     * watchpoints (plan.c, conring.c, shutdown.c): a write there would
     * stop the machine in the middle of the copy. Each holds nothing but
     * the word its point writes, which nothing reads. */
    for (int i = 0; i < NMARKS; i++) {
        uint32_t m = marks[i];
        a->dirty[m / 32] &= ~(1u << (m % 32));
        a->check[m / 32] &= ~(1u << (m % 32));
    }
    uint32_t frames = 0, missed = 0;
    for (uint32_t f = 0; f < nf; f++) {
        if (!(f % 32) && !a->verify && !(a->check[f / 32] | a->dirty[f / 32])) {
            f += 31;                     /* none of these 32 frames to look at */
            continue;
        }
        if ((a->check[f / 32] & (1u << (f % 32))) && !(a->dirty[f / 32] & (1u << (f % 32)))) {
            if (frame_differs(f, a)) {
                frame_back(f, a);
                frames++;
            }
        } else if (a->dirty[f / 32] & (1u << (f % 32))) {
            frame_back(f, a);
            frames++;
        } else if (a->verify && !is_mark(f, marks) && frame_differs(f, a)) {
            frame_back(f, a);
            missed++;
        }
    }
    warm_stats.resets++;
    warm_stats.frames = frames;
    warm_stats.missed = missed;
}

/* The common path after a save and after a reset, from resume on: the
 * devices as the plan point had them. */
static void settle(void)
{
    pic_settle(dev.pic);
    clock_settle();
    serial_settle(dev.uart);
    lockup_settle();
#if FAULTINJ
    fi_hwbp_settle();                    /* the debug registers as dr[] says */
#endif
}

void warm_point(void)
{
    uint32_t fl;
    __asm__ volatile("pushf; pop %0; cli" : "=r"(fl));
    lockup_pause();
    pic_masks_get(dev.pic);
    serial_regs_get(dev.uart);
    if (area) {
        warm_switch(area, save_work);
        warm_saved = copy_on;
    } else {
        uint32_t cr3;
        __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) :: "memory");
    }
    settle();
    __asm__ volatile("push %0; popf" :: "r"(fl) : "memory", "cc");
}

void warm_restore(void)
{
    warm_go = 0;
    /* a run may have written anywhere: reset only from a save that still
     * looks like the one made at the plan point */
    if (!area || !warm_saved || (uint32_t)area != os_kb * 1024 || ((uint32_t)area & 0x3fffffu))
        return;
    __asm__ volatile("cli");
    lockup_pause();
    /* an NMI taken before stays blocked until an iret: unblock it here, so
     * the next run starts with NMIs open as after a boot (the HPET is
     * stopped, so none is pending but one latched already) */
    __asm__ volatile("pushf; push %%cs; push $1f; iret; 1:" ::: "memory");
    warm_enter(area, restore_work);
}
