/* sys_update.c - SYS_UPDATE: how RS live-updates a service without changing
 * its endpoint. RS starts the new version in a spare slot, copies the old
 * one's keep region into it, then swaps the two: the service's slot (its
 * endpoint, privilege and queue of senders) now runs the new image, and
 * the spare slot holds the old version, suspended. A second swap puts the
 * old version back (rollback); ending the spare slot ends whichever
 * version is not wanted. */
#include "system.h"
#include "memory.h"

/* Whatever queue one of the two waits in (sending) points at its struct:
 * after the swap that struct is the other slot's. Every caller_q is
 * looked at, so a queue holding both stays right. */
static void requeue(struct proc *a, struct proc *b)
{
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        for (struct proc **pp = &proc_table[i].caller_q; *pp; pp = &(*pp)->q_link) {
            if (*pp == a) *pp = b;
            else if (*pp == b) *pp = a;
        }
    }
}

/* Would either, once in the other's slot, wait on its own endpoint? */
static int tied(const struct proc *a, const struct proc *b)
{
    if ((a->rts & RTS_SENDING) && a->sendto_e == b->endpoint) return 1;
    if ((a->rts & RTS_RECEIVING) && a->getfrom_e == b->endpoint) return 1;
    return 0;
}

static void swap_slots(struct proc *a, struct proc *b)
{
    /* the ready queues hold slots: leave them while the contents move */
    int a_ready = a->rts == 0, b_ready = b->rts == 0;
    if (a_ready) proc_unready(a);
    if (b_ready) proc_unready(b);
    requeue(a, b);
    struct proc t = *a;
    *a = *b;
    *b = t;
    /* identity stays with the slot: the endpoint (slot and generation),
     * the privilege (its id is what other processes' send masks, pending
     * notifications and the scheduler's flags refer to) with the priority
     * and quantum RS gave with it (the spare slot has only its creator's),
     * and the processes queued to send to that endpoint */
#define KEEP(f) do { __typeof__(a->f) k = a->f; a->f = b->f; b->f = k; } while (0)
    KEEP(nr); KEEP(endpoint); KEEP(gen); KEEP(priv); KEEP(caller_q);
    KEEP(priority); KEEP(quantum); KEEP(ticks_left);
#undef KEEP
    a->next_ready = b->next_ready = 0;
    FI_AUTO_SWAP(a, b);
    if (a->rts == 0) proc_ready(a);
    if (b->rts == 0) proc_ready(b);
}

int do_update(struct proc *caller, message *m)
{
    int err;
    /* a kernel-call bit alone is not enough: only RS replaces services */
    if (!caller->priv || !(caller->priv->flags & PF_ROOT_SYS)) {
        if (denial_shown())
            kevent("ev=denied call=update proc=%s ep=%d by=%s by_ep=%d", caller->name,
               caller->endpoint, caller->name, caller->endpoint);
        return EPERM;
    }
    struct proc *a = ctl_proc(caller, m->UPD_SRC_EP, "update", &err);
    if (!a) return err;
    struct proc *b = ctl_proc(caller, m->UPD_DST_EP, "update", &err);
    if (!b) return err;
    if (a == caller || b == caller) return EPERM;
    if (a == b) return EINVAL;
    if ((a->priv && (a->priv->flags & PF_ROOT_SYS)) || (b->priv && (b->priv->flags & PF_ROOT_SYS)))
        return EPERM;
    if (!a->pdir || !b->pdir) return EINVAL;
    switch (m->UPD_OP) {
    case UPD_COPY_KEEP:
        /* the copy is for a new version's init: one that has run may
         * have its own kept state already */
        if (!(b->rts & RTS_NO_PRIV) || b->dispatches) return EBUSY;
        m->UPD_PAGES = pdir_keep_copy(a->pdir, b->pdir);
        kevent("ev=update_keep from=%s from_ep=%d to_ep=%d pages=%d", a->name, a->endpoint,
               b->endpoint, m->UPD_PAGES);
        return OK;
    case UPD_SWAP:
        if (tied(a, b) || tied(b, a)) return EBUSY;
        swap_slots(a, b);
        kevent("ev=update_swap ep=%d proc=%s other_ep=%d other=%s", a->endpoint, a->name,
               b->endpoint, b->name);
        return OK;
    default:
        return EINVAL;
    }
}
