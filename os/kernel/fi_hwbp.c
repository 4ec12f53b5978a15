/* fi_hwbp.c - armed automatic sites watched by the CPU's debug registers.
 *
 * An armed site counts its hits until its trigger fires (nth:30000 is
 * common: the EDFI faultload draws sites by how often they run). With an
 * int3 each hit costs two code writes (the byte back, a single step, the
 * int3 again), and QEMU retranslates the block after each write: ~15 us
 * of host time a hit, half a second for a site in a hot loop. An
 * instruction breakpoint in DR0-DR3 traps (#DB, before the instruction)
 * without touching the code: the kernel counts the hit (fi_auto.c,
 * fi_auto_hw_hit) and returns with EFLAGS.RF set, which lets that one
 * instruction run. A site that fires is handled as the int3's would be.
 *
 * All programs share their link addresses, so a user site's breakpoint is
 * enabled in DR7 only while a process of its binary runs (fi_hwbp_enter,
 * on every way back to user mode); a kernel site's is always enabled.
 * Four sites at most; any further armed site takes an int3. The golden
 * run counts every site with an int3, and moves a site here once it has
 * been hit FI_HOT_HITS times (fi_auto.c): a hot loop's block (DS's
 * checksum of a saved blob ran 237,872 times in the kv profile, half the
 * profile's hits) then costs a trap a hit, not a retranslation. */
#include "proc.h"
#include "system.h"
#include "../include/fi.h"

#if FAULTINJ
#define NR_DR    4
#define DR7_L(i) (1u << (2 * (i)))

/* a slot's site, or (slot -1, g set) a golden site of binary bin */
static struct {
    int slot;
    uint32_t addr;
    struct fi_golden_site *g;
    const char *bin;
} dr[NR_DR] = { { -1, 0, 0, 0 }, { -1, 0, 0, 0 }, { -1, 0, 0, 0 }, { -1, 0, 0, 0 } };

static int dr_free(int i) { return dr[i].slot < 0 && !dr[i].g; }

/* registers in use: while none is, DR7 is 0 and every way back to user
 * mode skips fi_hwbp_enter (trap.c resume: an IPC round trip passes there
 * three times) */
int fi_hwbp_busy;

static void busy_count(void)
{
    int n = 0;
    for (int i = 0; i < NR_DR; i++) n += !dr_free(i);
    fi_hwbp_busy = n;
}

static uint32_t dr7_loaded;              /* what DR7 holds */

static void dr_addr_set(int i, uint32_t a)
{
    switch (i) {
    case 0: __asm__ volatile("mov %0, %%dr0" :: "r"(a)); break;
    case 1: __asm__ volatile("mov %0, %%dr1" :: "r"(a)); break;
    case 2: __asm__ volatile("mov %0, %%dr2" :: "r"(a)); break;
    default: __asm__ volatile("mov %0, %%dr3" :: "r"(a)); break;
    }
}

static void dr7_load(uint32_t v)
{
    if (v == dr7_loaded) return;
    dr7_loaded = v;
    __asm__ volatile("mov %0, %%dr7" :: "r"(v));
}

/* DR7 for a return to p (NULL: the kernel, idle): the kernel's sites and
 * those of p's binary. */
static uint32_t dr7_for(const struct proc *p)
{
    uint32_t v = 0;
    for (int i = 0; i < NR_DR; i++) {
        if (dr_free(i)) continue;
        const char *proc = dr[i].g ? dr[i].bin : fi_table.slot[dr[i].slot].proc;
        if (!strcmp(proc, "kernel") || (p && !strcmp(proc, p->name))) v |= DR7_L(i);
    }
    return v;
}

/* A free register for slot's site, or golden site g of binary bin, at
 * addr; 0 if none is free. */
static int claim(int slot, struct fi_golden_site *g, const char *bin, uint32_t addr)
{
    for (int i = 0; i < NR_DR; i++) {
        if (!dr_free(i)) continue;
        dr[i].slot = slot;
        dr[i].g = g;
        dr[i].bin = bin;
        dr[i].addr = addr;
        dr_addr_set(i, addr);
        busy_count();
        dr7_load(dr7_for(current));
        return 1;
    }
    return 0;
}

/* Watch slot's site at addr with a debug register; 0 if none is free. */
int fi_hwbp_take(int slot, uint32_t addr)
{
    for (int i = 0; i < NR_DR; i++)
        if (dr[i].slot == slot) return 1;
    return claim(slot, 0, 0, addr);
}

/* Count golden site g, of binary bin, with a debug register from now on;
 * 0 if none is free. */
int fi_hwbp_take_golden(struct fi_golden_site *g, const char *bin)
{
    return claim(-1, g, bin, g->addr);
}

/* Is the site at addr of binary bin a golden site counted here? */
int fi_hwbp_counts(const char *bin, uint32_t addr)
{
    for (int i = 0; i < NR_DR; i++)
        if (dr[i].g && dr[i].addr == addr && !strcmp(dr[i].bin, bin)) return 1;
    return 0;
}

void fi_hwbp_release(int slot)
{
    for (int i = 0; i < NR_DR; i++) {
        if (dr[i].slot != slot) continue;
        dr[i].slot = -1;
        busy_count();
        dr7_load(dr7_for(current));
    }
}

/* On the way back to user mode in p. */
void fi_hwbp_enter(const struct proc *p)
{
    dr7_load(dr7_for(p));
}

/* A #DB in p (NULL: the kernel) with frame tf. Returns 1 if one of ours
 * raised it: handled, tf ready to go on. */
int fi_hwbp_hit(struct proc *p, struct trapframe *tf)
{
    uint32_t dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    int hit = -1;
    for (int i = 0; i < NR_DR; i++)
        if ((dr6 & (1u << i)) && !dr_free(i) && dr[i].addr == tf->eip) hit = i;
    if (hit < 0) return 0;
    __asm__ volatile("mov %0, %%dr6" :: "r"(0u));
    uint32_t at = tf->eip;
    if (dr[hit].g) dr[hit].g->hits++;
    else fi_auto_hw_hit(dr[hit].slot, p, tf);
    /* the instruction at the site runs once, without this trap again */
    if (tf->eip == at) tf->eflags |= EFL_RF;
    return 1;
}

/* After the plan point's save and after a warm reset: the registers as
 * this kernel's memory says (a reset brings back dr[] of the plan point,
 * not the registers of the run before). */
void fi_hwbp_settle(void)
{
    busy_count();
    uint32_t v = dr7_for(current);
    dr7_loaded = v;
    __asm__ volatile("mov %0, %%dr7" :: "r"(v));
    for (int i = 0; i < NR_DR; i++)
        if (!dr_free(i)) dr_addr_set(i, dr[i].addr);
}
#endif /* FAULTINJ */
