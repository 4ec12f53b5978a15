/* kcheck.c - is the kernel still sound? Run after a fault was contained
 * (contain.c): the call that faulted may have changed the kernel's
 * structures half-way or been sent astray by corrupted data, and the
 * kernel goes on only if what everything else relies on still holds:
 * the process table (slots, endpoints, privileges, page directories with
 * the kernel's own mapping intact), the run queues (sched_repair.c's
 * check, which the containment repairs), the IPC send queues
 * and the frame allocator's counts. Every walk is bounded, so a cycle a
 * fault made is found, not followed for good. Not instrumented (Makefile:
 * AUTO_KERNEL_SKIP), like contain.c. */
#include "contain.h"
#include "memory.h"
#include "sched_repair.h"

#define NSLOTS (NR_TASKS + NR_PROCS)

static int in_table(const struct proc *p)
{
    return p >= proc_table && p < proc_table + NSLOTS;
}

static const char *check_slot(struct proc *p, int i)
{
    if (p->nr != i - NR_TASKS) return "process slot number";
    if (p->rts & RTS_SLOT_FREE) return 0;
    if (EP_SLOT(p->endpoint) != p->nr) return "process endpoint";
    if (p->priv && (p->priv < priv_table || p->priv >= priv_table + NR_PRIV_IDS))
        return "privilege pointer";
    if (p->priority < 0 || p->priority >= NR_SCHED_QUEUES) return "priority";
    if (p->pdir) {
        uint32_t pd = (uint32_t)p->pdir;
        if (pd % PAGE_SIZE || pd >= mem_bytes()) return "page directory pointer";
        /* the kernel's half of every directory is the kernel's own (but
         * for the accessed and dirty bits the CPU sets in each copy) */
        for (uint32_t k = 0; k < USER_BASE >> 22; k++)
            if ((p->pdir[k] ^ kernel_pdir[k]) & ~(PTE_A | PTE_D))
                return "kernel mapping in a page directory";
    }
    /* its senders: live, sending to it, no cycle */
    int n = 0;
    for (struct proc *s = p->caller_q; s; s = s->q_link) {
        if (!in_table(s) || ++n > NSLOTS) return "send queue link";
        if (!(s->rts & RTS_SENDING) || s->sendto_e != p->endpoint) return "send queue member";
    }
    return 0;
}

const char *kernel_check(void)
{
    if (current && !in_table(current)) return "current process";
    for (int i = 0; i < NSLOTS; i++) {
        const char *bad = check_slot(&proc_table[i], i);
        if (bad) return bad;
    }
    /* the run queues: the one definition of sound queues is the audit's
     * (sched_repair.c), whose complaints contain.c repairs */
    const char *bad = sched_queues_check();
    if (bad) return bad;
    return mem_check();
}
