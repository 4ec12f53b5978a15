/* complain.c - RS_COMPLAIN: a client says a service violates its protocol
 * while it may still answer RS's pings, so the heartbeat alone never
 * finds it and its clients wait for good (the MINIX answer: a component
 * that breaks its protocol is reported by the others, Herder et al., DSN
 * 2007). Two violations, each as the kernel saw it:
 *  - a lost reply: the service took the request and never answered (its
 *    loop goes back to receive without replying, as a faulted VM did in
 *    the EDFI campaign);
 *  - refused answers: it answers requests of its own protocol ENOSYS,
 *    again and again (a corrupted buffer pointer made echo read another
 *    message than it received).
 * RS treats a complaint it can check as a missed heartbeat: the service
 * is stopped and restarted per its policy, the event naming who
 * complained and why.
 *
 * Least authority (issue 20): a complaint restarts a service, so RS does
 * not take the complainer's word for it.
 *  - only a process RS runs with a privilege of its own (a service, the
 *    scenario driver) may complain; a user program is refused;
 *  - lost reply: the kernel must have seen the complainer wait for that
 *    very endpoint's reply (ipc_deadline.c records a timed SENDREC whose
 *    reply never came), for at least the service's own hang threshold
 *    (as long as RS waits for a pong);
 *  - refused answers: the kernel must have counted at least
 *    COMPLAIN_REFUSALS replies in a row from that very endpoint, all
 *    ENOSYS to one request type (ipc_refusal.c), and that type must be
 *    one the service's protocol serves (protocols[] below): ENOSYS to a
 *    request the service does not have is a right answer;
 *  - either record must be recent and wholly since the service's current
 *    instance began: an old wait or streak is no evidence;
 *  - one complaint acted on per complainer every COMPLAIN_GAP, and none
 *    against a service that is not serving (in its init, restarting). */
#include "rs.h"

#define COMPLAIN_FRESH (2 * RS_HZ)      /* the wait ended at most 2 s ago */
#define COMPLAIN_GAP   (5 * RS_HZ)      /* a complainer is heard once per 5 s */

static int refuse(const struct rproc *caller, int src, const struct rproc *t, int r)
{
    if (rs_refusal_shown())
        event("ev=rs_refused req=complain label=%s by=%d", t ? t->pub.label : "-",
              caller ? caller->pub.endpoint : src);
    return r;
}

/* The request types each service serves, every one of them (services.h):
 * a service not listed has no refused-answers complaint heard. */
static const struct { const char *label; int first, last; } protocols[] = {
    { "kv", KV_BASE, KV_LAST },
    { "echo", ECHO_BASE, ECHO_LAST },
};

static int serves(const struct rproc *t, int type)
{
    for (unsigned i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (!strcmp(t->pub.label, protocols[i].label))
            return type >= protocols[i].first && type <= protocols[i].last;
    return 0;
}

static uint32_t hang_ticks(const struct rproc *t)
{
    int period = t->pub.period > 0 ? t->pub.period : DEF_PERIOD;
    return (uint32_t)period * (uint32_t)t->sup.ping_hang;
}

int do_complain(struct rproc *caller, message *m)
{
    int src = m->m_source, ep = m->COMPLAIN_EP;
    struct rproc *t = rp_by_ep(ep);
    if (!caller || (caller->tab->sys_flags & (SF_USER | SF_SELF))) return refuse(caller, src, t, EPERM);
    if (!t || t == caller || (t->tab->sys_flags & SF_SELF)) return refuse(caller, src, t, ESRCH);
    if (!(t->pub.flags & RSF_ACTIVE) || (t->flags & (RP_INITIALIZING | RP_RESTART_DUE | RP_STOPPED |
                                                     RP_LU_PREPARE | RP_LU_DELIVER | RP_LU_INIT)))
        return refuse(caller, src, t, EAGAIN);
    const struct proc_info *p = excuse_proc(src, 1);
    int why = m->COMPLAIN_WHY, ok = 0;
    if (p && why == COMPLAIN_LOST_REPLY)
        /* the whole wait, from its start: a wait begun on the instance
         * before (RS restarted it while the client waited) is about a
         * service already restarted, not about this one */
        ok = p->lost_reply_ep == ep && p->lost_reply_waited >= hang_ticks(t) &&
             p->lost_reply_at - p->lost_reply_waited >= t->up_since &&
             now - p->lost_reply_at <= COMPLAIN_FRESH;
    else if (p && why == COMPLAIN_REFUSED)
        ok = p->refused_ep == ep && p->refused_n >= COMPLAIN_REFUSALS &&
             serves(t, p->refused_type) && p->refused_since >= t->up_since &&
             now - p->refused_at <= COMPLAIN_FRESH;
    if (!ok) return refuse(caller, src, t, EINVAL);
    if (caller->complained && now - caller->complained_at < COMPLAIN_GAP)
        return refuse(caller, src, t, EAGAIN);
    caller->complained = 1;
    caller->complained_at = now;
    if (why == COMPLAIN_LOST_REPLY)
        event("ev=complaint label=%s ep=%d by=%s by_ep=%d why=lost_reply waited=%u",
              t->pub.label, ep, caller->pub.label, src, p->lost_reply_waited);
    else
        event("ev=complaint label=%s ep=%d by=%s by_ep=%d why=refused refused=%u type=%d",
              t->pub.label, ep, caller->pub.label, src, p->refused_n, p->refused_type);
    service_unresponsive(t, "complaint");
    return OK;
}
