/* proc.c - process slots, endpoints with generations, run queues and the
 * cleanup of a process that has ended. */
#include "proc.h"
#include "guardian.h"
#include "memory.h"
#include "protect.h"
#include "gcov.h"
#include "contain.h"

struct proc proc_table[NR_TASKS + NR_PROCS];
struct proc *current;
/* not static: the consistency check after a contained fault walks them (kcheck.c) */
struct proc *rdy_head[NR_SCHED_QUEUES], *rdy_tail[NR_SCHED_QUEUES];
/* the last of the processes at the front of each queue that were made
 * ready after blocking (proc_ready_front); 0: none. Not static: the run
 * queues' repair rebuilds it with them (sched_repair.c). */
struct proc *rdy_woken[NR_SCHED_QUEUES];

void proc_init(void)
{
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        struct proc *p = &proc_table[i];
        memset(p, 0, sizeof *p);
        p->nr = i - NR_TASKS;
        p->rts = RTS_SLOT_FREE;
        p->endpoint = MAKE_EP(0, p->nr);
        p->boot_module = -1;
    p->creator = NONE;
        p->sendto_e = p->getfrom_e = NONE;
        p->lost_reply_ep = NONE;
    }
}

/* Resolve a live endpoint. A stale generation or a free slot is a dead
 * endpoint; anything out of range is invalid. */
struct proc *ep_to_proc(int ep, int *err)
{
    int slot = EP_SLOT(ep);
    if (ep == ANY || ep == NONE || ep == SELF || !isokprocn(slot)) {
        *err = EINVAL;
        return 0;
    }
    struct proc *p = proc_addr(slot);
    if ((p->rts & RTS_SLOT_FREE) || p->endpoint != ep) {
        *err = EDEADSRCDST;
        return 0;
    }
    *err = OK;
    return p;
}

struct proc *proc_alloc(int slot)
{
    if (slot == NONE) {
        for (int n = NR_BOOT_PROCS; n < NR_PROCS; n++)
            if (proc_addr(n)->rts & RTS_SLOT_FREE) { slot = n; break; }
        if (slot == NONE) return 0;
    }
    struct proc *p = proc_addr(slot);
    if (!(p->rts & RTS_SLOT_FREE)) return 0;
    int gen = p->gen + 1;
    if (gen > EP_MAX_GEN) gen = 1;
    memset(p, 0, sizeof *p);
    p->nr = slot;
    p->gen = gen;
    p->endpoint = MAKE_EP(gen, slot);
    p->rts = 0;
    p->boot_module = -1;
    p->sendto_e = p->getfrom_e = NONE;
    p->lost_reply_ep = NONE;
    p->priority = USER_Q;
    p->quantum = p->ticks_left = 8;
    return p;
}

void proc_ready(struct proc *p)
{
    int q = p->priority;
    p->next_ready = 0;
    if (!rdy_head[q]) rdy_head[q] = p;
    else rdy_tail[q]->next_ready = p;
    rdy_tail[q] = p;
}

void proc_unready(struct proc *p)
{
    int q = p->priority;
    struct proc **pp = &rdy_head[q], *prev = 0;
    while (*pp && *pp != p) { prev = *pp; pp = &(*pp)->next_ready; }
    if (!*pp) return;
    *pp = p->next_ready;
    if (rdy_tail[q] == p) rdy_tail[q] = prev;
    if (rdy_woken[q] == p) rdy_woken[q] = prev;     /* the woken are a prefix */
    p->next_ready = 0;
}

void set_rts(struct proc *p, uint32_t f)
{
    contain_commit();                    /* an IPC in progress took effect */
    if (p->rts == 0 && f) {
        proc_unready(p);
        /* RS's progress, for its guardian: it blocked, so it is not hung */
        if (p->nr == RS_PROC_NR) guardian_rs_blocked();
    }
    p->rts |= f;
}

/* Made ready after blocking with some of its quantum left: ahead of the
 * processes that used their quantum up, behind those woken before it (as
 * MINIX puts them first, but in the order they woke, so several woken
 * clients take turns instead of the latest starving the others). So a
 * process that mostly waits for servers (a client in sendrec) is not
 * queued behind a busy loop's whole quantum at every answer: a user's
 * spin would otherwise slow another user's client by a quantum per
 * request. It goes to the back when its quantum is used up (sched_tick),
 * so it cannot keep the CPU. */
static void proc_ready_front(struct proc *p)
{
    int q = p->priority;
    struct proc *after = rdy_woken[q];
    if (after) {
        p->next_ready = after->next_ready;
        after->next_ready = p;
        if (rdy_tail[q] == after) rdy_tail[q] = p;
    } else {
        p->next_ready = rdy_head[q];
        rdy_head[q] = p;
        if (!rdy_tail[q]) rdy_tail[q] = p;
    }
    rdy_woken[q] = p;
}

void clear_rts(struct proc *p, uint32_t f)
{
    contain_commit();
    uint32_t was = p->rts;
    p->rts &= ~f;
    if (was && p->rts == 0) {
        if (p->ticks_left > 0) proc_ready_front(p);
        else proc_ready(p);
    }
}

struct proc *pick_proc(void)
{
    for (int q = 0; q < NR_SCHED_QUEUES; q++)
        if (rdy_head[q]) return rdy_head[q];
    return 0;
}

/* Quantum used up: go to the back of the queue, so equals take turns. */
void sched_tick(void)
{
    struct proc *p = current;
    if (p->rts || --p->ticks_left > 0) return;
    p->ticks_left = p->quantum;
    if (p->priv && !(p->priv->flags & PF_PREEMPTIBLE) && (p->priv->flags & PF_SYS_PROC))
        return;
    proc_unready(p);
    proc_ready(p);
}

void proc_cleanup(struct proc *p)
{
    if (p->rts & RTS_SLOT_FREE) return;
    gcov_image_end(p);                   /* its counters, before its image goes */
    userout_flush(p);                    /* its last second's lost output */
    set_rts(p, RTS_SLOT_FREE);
    ipc_dead_partners(p);
    if (p->priv) {
        if (!is_user_priv_id(p->priv->id)) priv_free(p->priv);
        p->priv = 0;
    }
    if (p->pdir) {
        pdir_activate(kernel_pdir);
        pdir_free(p->pdir);
        p->pdir = 0;
    }
    p->rts = RTS_SLOT_FREE;
    p->sig_pending = 0;
    if (current == p) current = 0;
}

/* Replace p's image with the one in pd, entered at entry with its stack at
 * esp (exec, and the guardian restarting RS): the keep region's pages move
 * over (pdir_keep), the old image goes, the heap with it. The caller has
 * activated a directory other than p's old one. Returns the pages kept. */
int proc_new_image(struct proc *p, uint32_t *pd, uint32_t entry, uint32_t esp)
{
    gcov_image_end(p);                   /* the old image's counters */
    int kept = p->pdir ? pdir_keep(p->pdir, pd) : 0;
    pdir_free(p->pdir);
    p->pdir = pd;
    p->heap_top = 0;
    memset(&p->regs, 0, sizeof p->regs);
    p->regs.eip = entry;
    p->regs.esp = esp;
    p->regs.cs = UCODE_SEL;
    p->regs.ss = p->regs.ds = p->regs.es = p->regs.fs = p->regs.gs = UDATA_SEL;
    p->regs.eflags = 0x202;
    return kept;
}
