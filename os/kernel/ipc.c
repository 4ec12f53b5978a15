/* ipc.c - rendezvous message passing: SEND, RECEIVE, SENDREC, NOTIFY and
 * SENDNB. Messages are copied through checked user copies; a bad buffer
 * gives EFAULT and changes nothing. A send that would close a cycle of
 * blocked senders is refused with ELOCKED.
 *
 * Theseus-style faults (issue 12): besides kernel.ipc.send (the send is
 * refused with an error, or with drop silently lost), thirteen FI_ERROR
 * sites make the send/receive path itself go wrong in one way each. A
 * site is armed for one process: the sender-side sites act on what that
 * process sends, the receiver-side ones on what is delivered to it. Any
 * fault type an FI_ERROR site takes (error, drop) applies the site's
 * fault; the slot's arg, when given (not 0), sets its parameter.
 *
 *   site               side      the fault                               arg (default)
 *   kernel.ipc.dest    sender    destination endpoint corrupted before   XOR mask (generation bit:
 *                                its lookup (SEND, SENDNB, SENDREC,      a dead endpoint)
 *                                NOTIFY): checked like any endpoint
 *   kernel.ipc.source  sender    m_source stamped wrong                  XOR mask (generation bit)
 *   kernel.ipc.mtype   sender    m_type corrupted                        XOR mask (0x40000000)
 *   kernel.ipc.payload sender    one payload bit flipped in the copy     bit mod 448 (37: word 1 bit 5;
 *                                                                        448 for bit 0)
 *   kernel.ipc.result  sender    delivered, but the sender is told it    error code (EIO)
 *                                failed
 *   kernel.ipc.sendblock sender  delivered, but the sender is left       -
 *                                blocked (a lost wakeup of the sender)
 *   kernel.ipc.nocopy  receiver  copy skipped: stale buffer, result OK   -
 *   kernel.ipc.partial receiver  only the first bytes copied             bytes 1..63 (8: the header)
 *   kernel.ipc.wrongbuf receiver copied to the wrong place in the        byte offset (64: just past
 *                                receiver's space (checked like any      the buffer)
 *                                user copy: EFAULT outside it)
 *   kernel.ipc.drop    receiver  message lost at delivery, sender told   -
 *                                OK, receiver waits on
 *   kernel.ipc.dup     receiver  delivered, and once more at the next    -
 *                                receive (a blocking sender stays queued)
 *   kernel.ipc.wakeup  receiver  copied, but the receiver is not woken   -
 *                                (a lost wakeup: the next message
 *                                overwrites it)
 *   kernel.ipc.notify  receiver  notification lost: neither delivered    -
 *                                nor left pending
 *
 * Every one leaves the kernel's own state consistent: a wrong endpoint
 * goes through ep_to_proc and the privilege checks, a wrong address
 * through the checked user copy, a process left blocked is in no queue
 * it would be taken from but is reaped by ipc_dead_partners as any other
 * when it or its partner dies. */
#include "proc.h"
#include "memory.h"
#include "ipc_refusal.h"
#include "ipc_check.h"
#include "../include/fi.h"

/* This file is compiled twice (Makefile): as itself, the IPC path with its
 * fault sites (ipc_*_fi), and with IPC_NOFI, the same path with every site
 * compiled out (ipc_*_nofi). ipc_entry.c takes the second while no
 * kernel.ipc.* site is armed, so such a message pays for one look at the
 * table, not for one per site on its way. */
#ifdef IPC_NOFI
#undef FI_ERROR
#undef FI_ERROR_FOR
#undef FI_ANY_ARMED
#define FI_ERROR(nm) 0
#define FI_ERROR_FOR(nm, p) ((void)(p), 0)
#define FI_ANY_ARMED() 0
#define ipc_trap ipc_trap_nofi
#define ipc_notify_from ipc_notify_from_nofi
#define ipc_dead_partners ipc_dead_partners_nofi
#else
#define ipc_trap ipc_trap_fi
#define ipc_notify_from ipc_notify_from_fi
#define ipc_dead_partners ipc_dead_partners_fi
#endif
void ipc_trap(struct proc *caller);
int ipc_notify_from(struct proc *src, struct proc *dst);
void ipc_dead_partners(struct proc *dead);

static void set_result(struct proc *p, int r) { p->regs.eax = (uint32_t)r; }

/* the parameter of the IPC fault that just fired: the slot's arg, or dflt */
#define FI_ARG(dflt) FI_ERRNO(dflt)
#define PAYLOAD_BITS (MSG_PAYLOAD_WORDS * 32)

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

#define receiving_from ipc_receiving_from

/* Copy m into receiver p's buffer at uaddr: every message and notification
 * a process receives comes through here. OK or EFAULT. */
static int copy_in(struct proc *p, uint32_t uaddr, const message *m)
{
    uint32_t len = sizeof *m;
    /* one look at the table for the three sites: the disarmed path of
     * every message stays one load and one branch */
    if (!FI_ANY_ARMED()) return copy_to_user(p, uaddr, m, len);
    if (FI_ERROR_FOR("kernel.ipc.nocopy", p)) return OK;      /* stale buffer, told OK */
    if (FI_ERROR_FOR("kernel.ipc.partial", p)) {
        int n = FI_ARG(8);
        len = n > 0 && n < (int)sizeof *m ? (uint32_t)n : 8;  /* the rest stays stale */
    }
    if (FI_ERROR_FOR("kernel.ipc.wrongbuf", p))
        uaddr += (uint32_t)FI_ARG((int)sizeof *m);             /* range-checked below */
    return copy_to_user(p, uaddr, m, len);
}

/* The message sender s sent has been taken. What becomes of s: OK, an
 * error it is told instead (the message went through all the same), or
 * SENDER_STUCK: it stays blocked though nobody will ever release it. */
#define SENDER_STUCK 1
static int sender_fault(struct proc *s)
{
    if (!FI_ANY_ARMED()) return OK;
    if (FI_ERROR_FOR("kernel.ipc.sendblock", s)) return SENDER_STUCK;
    if (FI_ERROR_FOR("kernel.ipc.result", s)) {
        int r = FI_ERRNO(EIO);
        return r < 0 ? r : EIO;            /* an error, never OK or a positive code */
    }
    return OK;
}

/* What happens to a message (not a notification) handed to receiver dst:
 * taken as it should be, lost, taken twice (only when its sender may be
 * left blocked: can_dup), or copied without waking dst. */
enum take { TAKE_OK, TAKE_LOST, TAKE_TWICE, TAKE_NO_WAKEUP };
static enum take take_fault(struct proc *dst, int can_dup)
{
    if (!FI_ANY_ARMED()) return TAKE_OK;
    if (FI_ERROR_FOR("kernel.ipc.drop", dst)) return TAKE_LOST;
    if (can_dup && FI_ERROR_FOR("kernel.ipc.dup", dst)) return TAKE_TWICE;
    if (FI_ERROR_FOR("kernel.ipc.wakeup", dst)) return TAKE_NO_WAKEUP;
    return TAKE_OK;
}

/* Hand a message to a receiver that is waiting for it: from sent it, or
 * the kernel made it (from 0, a notification). */
static void deliver(struct proc *dst, const message *m, const struct proc *from)
{
    /* a reply: the kernel's record of refused answers (ipc_refusal.h);
     * on a refusal the request's type is still in dst's buffer */
    if (dst->misc & MF_REPLY_PEND) {
        int32_t req = 0;
        if (m->m_type != ENOSYS)
            ipc_answered(dst, m->m_source);
        else if (copy_from_user(dst, dst->msg_uaddr + offsetof(message, m_type), &req,
                                sizeof req) == OK)
            ipc_refusal(dst, m->m_source, req);
    }
    /* the receiver's buffer was checked when it called receive, and its
     * address space cannot shrink while it is blocked */
    if (copy_in(dst, dst->msg_uaddr, m) != OK) {
        set_result(dst, EFAULT);
    } else {
        set_result(dst, OK);
        if (from) ipc_hand_check(dst, from);
        else ipc_hand_kernel_made(dst, m->m_source);
    }
    dst->getfrom_e = NONE;
    dst->misc &= ~MF_REPLY_PEND;
    clear_rts(dst, RTS_RECEIVING);
}

/* Block caller sending m to dst: at the end of dst's queue. */
static int enqueue(struct proc *caller, struct proc *dst, const message *m)
{
    caller->sendmsg = *m;
    caller->sendto_e = dst->endpoint;
    set_rts(caller, RTS_SENDING);
    caller->q_link = 0;
    struct proc **pp = &dst->caller_q;
    while (*pp) pp = &(*pp)->q_link;
    *pp = caller;
    return EDONTREPLY;     /* result set when a receiver takes it */
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
    if (FI_ERROR_FOR("kernel.ipc.notify", dst)) return OK;     /* lost, notifier unaware */
    if (receiving_from(dst, src) && !(dst->misc & MF_REPLY_PEND)) {
        message m;
        build_notify(&m, src, dst);
        deliver(dst, &m, 0);
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
    if (FI_ANY_ARMED()) {                   /* one look for the four sites */
        int fault = FI_ERROR("kernel.ipc.send");
        if (fault == FI_DROP) return OK;    /* lost on the way, sender unaware */
        if (fault) return FI_ERRNO(EIO);
        /* the kernel's copy of the message goes wrong */
        if (FI_ERROR("kernel.ipc.source")) m.m_source ^= FI_ARG(1 << EP_GEN_SHIFT);
        if (FI_ERROR("kernel.ipc.mtype")) m.m_type ^= FI_ARG(0x40000000);
        if (FI_ERROR("kernel.ipc.payload")) {
            uint32_t bit = (uint32_t)FI_ARG(37) % PAYLOAD_BITS;
            m.m.u[bit / 32] ^= 1u << (bit % 32);
        }
    }
    if (receiving_from(dst, caller)) {
        switch (take_fault(dst, flags != IPC_SENDNB)) {
        case TAKE_LOST:
            return OK;                      /* dst waits on, the sender is told OK */
        case TAKE_NO_WAKEUP:
            (void)copy_in(dst, dst->msg_uaddr, &m);   /* dst sleeps on: overwritten next */
            return OK;
        case TAKE_TWICE:
            deliver(dst, &m, caller);
            return enqueue(caller, dst, &m);  /* taken again at dst's next receive */
        case TAKE_OK:
            break;
        }
        deliver(dst, &m, caller);
        int r = sender_fault(caller);
        if (r != SENDER_STUCK) return r;
        /* blocked as if still sending to dst, but in no queue */
        caller->sendto_e = dst->endpoint;
        set_rts(caller, RTS_SENDING);
        return EDONTREPLY;
    }
    if (flags == IPC_SENDNB) return ENOTREADY;
    if (deadlock(caller, dst)) return ELOCKED;
    return enqueue(caller, dst, &m);
}

/* Receiver rcv took the message of s, a blocked sender now off its queue. */
static void release_sender(struct proc *s, struct proc *rcv)
{
    s->q_link = 0;
    int r = sender_fault(s);
    if (r == SENDER_STUCK) return;          /* still blocked sending, in no queue */
    s->sendto_e = NONE;
    if (r != OK) {
        /* told it failed: a SENDREC gives up its reply too */
        s->misc &= ~(MF_SENDREC | MF_REPLY_PEND);
        set_result(s, r);
        clear_rts(s, RTS_SENDING);
    } else if (s->misc & MF_SENDREC) {
        /* its send half is done: now it waits for our reply */
        s->misc &= ~MF_SENDREC;
        s->getfrom_e = rcv->endpoint;
        s->rts |= RTS_RECEIVING;
        s->rts &= ~RTS_SENDING;
    } else {
        set_result(s, OK);
        clear_rts(s, RTS_SENDING);
    }
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
            if (copy_in(caller, uaddr, &m) != OK) return EFAULT;
            ipc_hand_kernel_made(caller, n->endpoint);
            return OK;
        }
    }
    /* 2. a blocked sender */
    for (struct proc **pp = &caller->caller_q; *pp; ) {
        struct proc *s = *pp;
        if (src && s != src) { pp = &s->q_link; continue; }
        enum take t = take_fault(caller, 1);
        if (t == TAKE_LOST) {
            /* lost: its sender goes on as if taken, we look further */
            *pp = s->q_link;
            release_sender(s, caller);
            continue;
        }
        if (copy_in(caller, uaddr, &s->sendmsg) != OK) return EFAULT;
        ipc_hand_check(caller, s);          /* before release_sender sets s's result */
        if (t == TAKE_TWICE) return OK;     /* s stays queued: taken again next time */
        *pp = s->q_link;
        release_sender(s, caller);
        if (t == TAKE_NO_WAKEUP) break;     /* copied, yet we block as if nothing came */
        return OK;
    }
    /* 3. block */
    caller->getfrom_e = src_e;
    caller->msg_uaddr = uaddr;
    set_rts(caller, RTS_RECEIVING);
    return EDONTREPLY;
}

/* IPC trap: eax = call, ebx = endpoint, ecx = message address; for
 * SENDREC edx = a deadline in ticks (0: none; see ipc_deadline.c); esi =
 * the sender's check of its message, which goes with the message to its
 * receiver (ipc_check.h). */
void ipc_trap(struct proc *caller)
{
    int call = (int)caller->regs.eax, ep = (int)caller->regs.ebx;
    uint32_t uaddr = caller->regs.ecx, timeout = caller->regs.edx;
    int r;

    caller->ipc_deadline = 0;               /* a new call: no earlier deadline holds */

    if (call < IPC_SEND || call >= IPC_NR_CALLS) { set_result(caller, EBADCALL); return; }
    if (!caller->priv || !(caller->priv->trap_mask & (1u << call))) {
        set_result(caller, ETRAPDENIED);
        return;
    }
    if (ep == SELF) ep = caller->endpoint;
    if (ep == ANY && call != IPC_RECEIVE) { set_result(caller, EINVAL); return; }
    /* a corrupted destination is looked up and checked like any other */
    if (call != IPC_RECEIVE && FI_ERROR("kernel.ipc.dest")) ep ^= FI_ARG(1 << EP_GEN_SHIFT);

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
        if (r == EDONTREPLY && timeout) ipc_deadline_set(caller, timeout);
        break;
    default:
        r = EBADCALL;
    }
    if (r != EDONTREPLY) set_result(caller, r);
}

/* A process died: whoever waits on it specifically gets EDEADSRCDST (as
 * MINIX's EDEADSRCDST: at once, not at some deadline), and its own pending
 * send is withdrawn from the receiver's queue. */
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
        /* a sender still blocked on the dead one though in no queue (a
         * lost wakeup of the sender) is told as well */
        if ((p->rts & RTS_SENDING) && p->sendto_e == dead->endpoint) {
            p->q_link = 0;
            p->sendto_e = NONE;
            p->misc &= ~(MF_SENDREC | MF_REPLY_PEND);
            set_result(p, EDEADSRCDST);
            clear_rts(p, RTS_SENDING | RTS_RECEIVING);
            continue;
        }
        if ((p->rts & RTS_RECEIVING) && !(p->rts & RTS_SENDING) && p->getfrom_e == dead->endpoint) {
            p->getfrom_e = NONE;
            p->misc &= ~MF_REPLY_PEND;
            set_result(p, EDEADSRCDST);
            clear_rts(p, RTS_RECEIVING);
        }
    }
}
