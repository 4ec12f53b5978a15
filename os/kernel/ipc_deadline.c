/* ipc_deadline.c - SENDREC with a deadline in virtual time (issue 22).
 *
 * MINIX IPC has no timeouts: a request or reply lost inside a server, or
 * by the IPC path itself, leaves its client blocked for ever, and a dead
 * server is the only thing that ends the wait (EDEADSRCDST, ipc.c). A
 * client may therefore give its SENDREC a deadline (edx on the trap, in
 * clock ticks): if neither the request has been taken nor the reply has
 * come by then, the call ends with ETIMEDOUT and the kernel reports the
 * loss (ev=ipc_timeout), naming who waited on whom and which half of the
 * exchange never completed. The client can then ask again (libsys
 * ipc_sendrec_timed, os/commands/wl/client.c).
 *
 * Why in the kernel and not the client's alarm: a process in SENDREC
 * waits for its partner's reply only (MF_REPLY_PEND), so an alarm's
 * notification would not reach it; and only the kernel can take a blocked
 * sender off its receiver's queue. The clock is the tick counter, so a
 * deadline is a moment of virtual time: the same on every host. */
#include "proc.h"

void ipc_deadline_set(struct proc *p, uint32_t timeout)
{
    /* at least one whole tick; a huge value must not wrap to "at once" */
    if (timeout > 0x7fffffffu - ticks) timeout = 0x7fffffffu - ticks;
    p->ipc_deadline = ticks + timeout + 1;
    p->ipc_since = ticks;
}

/* Take p off whichever receiver's queue it waits in (none for a sender
 * left blocked by a lost wakeup). */
static void unqueue(struct proc *p)
{
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        for (struct proc **pp = &proc_table[i].caller_q; *pp; pp = &(*pp)->q_link)
            if (*pp == p) { *pp = p->q_link; p->q_link = 0; return; }
    }
}

static void expire(struct proc *p)
{
    int sending = (p->rts & RTS_SENDING) != 0;
    int partner = sending ? p->sendto_e : p->getfrom_e;
    int err;
    struct proc *q = ep_to_proc(partner, &err);
    if (sending) unqueue(p);
    p->sendto_e = p->getfrom_e = NONE;
    p->misc &= ~(MF_SENDREC | MF_REPLY_PEND);
    p->ipc_deadline = 0;
    p->regs.eax = (uint32_t)ETIMEDOUT;
    if (!sending) {
        /* kept for RS: a complaint that partner drops requests is acted on
         * only if the kernel saw this caller wait that long for its reply */
        p->lost_reply_ep = partner;
        p->lost_reply_at = ticks;
        p->lost_reply_waited = ticks - p->ipc_since;
    }
    /* lost: the request (never taken) or the reply (taken, never answered) */
    kevent("ev=ipc_timeout proc=%s ep=%d dst=%s dst_ep=%d lost=%s", p->name, p->endpoint,
           q ? q->name : "none", partner, sending ? "request" : "reply");
    clear_rts(p, RTS_SENDING | RTS_RECEIVING);
}

/* only a SENDREC still waiting on either half expires; one that ended
 * (answered, or its partner died) just forgets its deadline */
static int waiting(const struct proc *p)
{
    return !(p->rts & RTS_SLOT_FREE) && (p->misc & MF_REPLY_PEND) &&
           (p->rts & (RTS_SENDING | RTS_RECEIVING));
}

/* the earliest deadline of a SENDREC still waiting, 0: none (tickless.c);
 * the others are only forgotten at a tick, which nothing sees */
uint32_t ipc_deadline_due(void)
{
    uint32_t due = 0;
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        struct proc *p = &proc_table[i];
        if (p->ipc_deadline && waiting(p) && (!due || p->ipc_deadline < due)) due = p->ipc_deadline;
    }
    return due;
}

void ipc_deadline_tick(void)
{
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        struct proc *p = &proc_table[i];
        if (!p->ipc_deadline) continue;
        if (!waiting(p)) { p->ipc_deadline = 0; continue; }
        if (ticks >= p->ipc_deadline) expire(p);
    }
}
