/* ipc.c - rendezvous message passing: SEND, RECEIVE, SENDREC, NOTIFY and
 * SENDNB. Messages are copied through checked user copies; a bad buffer
 * gives EFAULT and changes nothing. A send that would close a cycle of
 * blocked senders is refused with ELOCKED. */
#include "proc.h"
#include "memory.h"
#include "../include/fi.h"

static void set_result(struct proc *p, int r) { p->regs.eax = (uint32_t)r; }

/* Would caller blocking on a send to dst close a cycle of senders? */
static int deadlock(struct proc *caller, struct proc *dst)
{
    struct proc *xp = dst;
    for (int hops = 0; hops < NR_PROCS + NR_TASKS; hops++) {
        if (!(xp->rts & RTS_SENDING)) return 0;
        int err;
        struct proc *next = ep_to_proc(xp->sendto_e, &err);
        if (!next) return 0;
        if (next == caller) return 1;
        xp = next;
    }
    return 1;
}

static int receiving_from(struct proc *dst, struct proc *src)
{
    if (!(dst->rts & RTS_RECEIVING) || (dst->rts & RTS_SENDING)) return 0;
    return dst->getfrom_e == ANY || dst->getfrom_e == src->endpoint;
}

/* Hand a message to a receiver that is waiting for it. */
static void deliver(struct proc *dst, const message *m)
{
    /* the receiver's buffer was checked when it called receive, and its
     * address space cannot shrink while it is blocked */
    if (copy_to_user(dst, dst->msg_uaddr, m, sizeof *m) != OK)
        set_result(dst, EFAULT);
    else
        set_result(dst, OK);
    dst->getfrom_e = NONE;
    dst->misc &= ~MF_REPLY_PEND;
    clear_rts(dst, RTS_RECEIVING);
}

static void build_notify(message *m, struct proc *src, struct proc *dst)
{
    memset(m, 0, sizeof *m);
    m->m_source = src->endpoint;
    m->m_type = NOTIFY_MESSAGE;
    m->NOTIFY_TIMESTAMP = ticks;
    if (src->nr == SYSTEM)
        m->NOTIFY_ARG = dst->priv ? 1 : 0;
}

int ipc_notify_from(struct proc *src, struct proc *dst)
{
    if (!src->priv || !dst->priv || is_user_priv_id(dst->priv->id)) return ECALLDENIED;
    if (receiving_from(dst, src) && !(dst->misc & MF_REPLY_PEND)) {
        message m;
        build_notify(&m, src, dst);
        deliver(dst, &m);
    } else {
        /* pending notifications from one source coalesce into one bit */
        dst->priv->notify_pending |= 1ull << src->priv->id;
    }
    return OK;
}

static int do_send(struct proc *caller, struct proc *dst, uint32_t uaddr, int flags)
{
    message m;
    if (copy_from_user(caller, uaddr, &m, sizeof m) != OK) return EFAULT;
    m.m_source = caller->endpoint;
    int fault = FI_ERROR("kernel.ipc.send");
    if (fault == FI_DROP) return OK;        /* lost on the way, sender unaware */
    if (fault) return FI_ERRNO(EIO);
    if (receiving_from(dst, caller)) {
        deliver(dst, &m);
        return OK;
    }
    if (flags == IPC_SENDNB) return ENOTREADY;
    if (deadlock(caller, dst)) return ELOCKED;
    caller->sendmsg = m;
    caller->sendto_e = dst->endpoint;
    set_rts(caller, RTS_SENDING);
    caller->q_link = 0;
    struct proc **pp = &dst->caller_q;
    while (*pp) pp = &(*pp)->q_link;
    *pp = caller;
    return EDONTREPLY;     /* result set when a receiver takes it */
}

static int do_receive(struct proc *caller, int src_e, uint32_t uaddr)
{
    struct proc *src = 0;
    if (!user_range_ok(caller, uaddr, sizeof(message), 1)) return EFAULT;
    if (src_e != ANY) {
        int err;
        if (!(src = ep_to_proc(src_e, &err))) return err;
    }
    /* 1. pending notifications (never while a reply is awaited) */
    struct priv *pv = caller->priv;
    if (pv && pv->notify_pending && !(caller->misc & MF_REPLY_PEND)) {
        for (int id = 0; id < NR_PRIV_IDS; id++) {
            if (!(pv->notify_pending & (1ull << id))) continue;
            struct proc *n = priv_owner(id);
            if (!n) { pv->notify_pending &= ~(1ull << id); continue; }
            if (src && n != src) continue;
            pv->notify_pending &= ~(1ull << id);
            message m;
            build_notify(&m, n, caller);
            if (copy_to_user(caller, uaddr, &m, sizeof m) != OK) return EFAULT;
            return OK;
        }
    }
    /* 2. a blocked sender */
    for (struct proc **pp = &caller->caller_q; *pp; pp = &(*pp)->q_link) {
        struct proc *s = *pp;
        if (src && s != src) continue;
        if (copy_to_user(caller, uaddr, &s->sendmsg, sizeof(message)) != OK) return EFAULT;
        *pp = s->q_link;
        s->q_link = 0;
        s->sendto_e = NONE;
        if (s->misc & MF_SENDREC) {
            /* its send half is done: now it waits for our reply */
            s->misc &= ~MF_SENDREC;
            s->getfrom_e = caller->endpoint;
            s->rts |= RTS_RECEIVING;
            s->rts &= ~RTS_SENDING;
        } else {
            set_result(s, OK);
            clear_rts(s, RTS_SENDING);
        }
        return OK;
    }
    /* 3. block */
    caller->getfrom_e = src_e;
    caller->msg_uaddr = uaddr;
    set_rts(caller, RTS_RECEIVING);
    return EDONTREPLY;
}

/* IPC trap: eax = call, ebx = endpoint, ecx = message address. */
void ipc_trap(struct proc *caller)
{
    int call = (int)caller->regs.eax, ep = (int)caller->regs.ebx;
    uint32_t uaddr = caller->regs.ecx;
    int r;

    if (call < IPC_SEND || call >= IPC_NR_CALLS) { set_result(caller, EBADCALL); return; }
    if (!caller->priv || !(caller->priv->trap_mask & (1u << call))) {
        set_result(caller, ETRAPDENIED);
        return;
    }
    if (ep == SELF) ep = caller->endpoint;
    if (ep == ANY && call != IPC_RECEIVE) { set_result(caller, EINVAL); return; }

    struct proc *dst = 0;
    if (ep != ANY) {
        if (!(dst = ep_to_proc(ep, &r))) { set_result(caller, r); return; }
        if (call != IPC_RECEIVE) {
            if (is_task(dst)) { set_result(caller, ETRAPDENIED); return; }
            if (dst == caller) { set_result(caller, ELOCKED); return; }
            if (!may_send_to(caller, dst)) { set_result(caller, ECALLDENIED); return; }
        }
    }

    switch (call) {
    case IPC_SEND:
    case IPC_SENDNB:
        r = do_send(caller, dst, uaddr, call);
        break;
    case IPC_RECEIVE:
        r = do_receive(caller, ep, uaddr);
        break;
    case IPC_NOTIFY:
        r = ipc_notify_from(caller, dst);
        break;
    case IPC_SENDREC:
        /* the reply buffer is the request buffer: check it up front */
        if (!user_range_ok(caller, uaddr, sizeof(message), 1)) { r = EFAULT; break; }
        caller->misc |= MF_REPLY_PEND;
        r = do_send(caller, dst, uaddr, IPC_SEND);
        if (r == OK) {
            r = do_receive(caller, ep, uaddr);
        } else if (r == EDONTREPLY) {
            caller->misc |= MF_SENDREC;
            caller->msg_uaddr = uaddr;
        } else {
            caller->misc &= ~MF_REPLY_PEND;
        }
        break;
    default:
        r = EBADCALL;
    }
    if (r != EDONTREPLY) set_result(caller, r);
}

/* A process died: whoever waits on it specifically gets EDEADSRCDST, and
 * its own pending send is withdrawn from the receiver's queue. */
void ipc_dead_partners(struct proc *dead)
{
    if (dead->rts & RTS_SENDING) {
        int err;
        struct proc *dst = ep_to_proc(dead->sendto_e, &err);
        if (dst) {
            for (struct proc **pp = &dst->caller_q; *pp; pp = &(*pp)->q_link)
                if (*pp == dead) { *pp = dead->q_link; break; }
        }
    }
    for (struct proc *s = dead->caller_q; s; ) {
        struct proc *next = s->q_link;
        s->q_link = 0;
        s->sendto_e = NONE;
        s->misc &= ~(MF_SENDREC | MF_REPLY_PEND);
        set_result(s, EDEADSRCDST);
        clear_rts(s, RTS_SENDING | RTS_RECEIVING);
        s = next;
    }
    dead->caller_q = 0;
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        struct proc *p = &proc_table[i];
        if (p == dead || (p->rts & RTS_SLOT_FREE)) continue;
        if ((p->rts & RTS_RECEIVING) && !(p->rts & RTS_SENDING) && p->getfrom_e == dead->endpoint) {
            p->getfrom_e = NONE;
            p->misc &= ~MF_REPLY_PEND;
            set_result(p, EDEADSRCDST);
            clear_rts(p, RTS_RECEIVING);
        }
    }
}
