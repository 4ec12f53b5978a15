/* complain.c - RS_COMPLAIN: a client says a service took its request and
 * never answered. Such a service may still answer RS's pings (its loop
 * goes back to receive without replying, as a faulted VM did in the EDFI
 * campaign), so the heartbeat alone never finds it and its clients wait
 * for good. RS treats a complaint it can check as a missed heartbeat: the
 * service is stopped and restarted per its policy, the event naming who
 * complained.
 *
 * Least authority (issue 20): a complaint restarts a service, so RS does
 * not take the complainer's word for it.
 *  - only a process RS runs with a privilege of its own (a service, the
 *    scenario driver) may complain; a user program is refused;
 *  - the kernel must have seen the complainer wait for that very
 *    endpoint's reply (ipc_deadline.c records a timed SENDREC whose reply
 *    never came), for at least the service's own hang threshold (as long
 *    as RS waits for a pong), lately, and since the service's current
 *    instance began: a request still queued, a short deadline or an old
 *    wait is no evidence;
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
    if (!p || p->lost_reply_ep != ep || p->lost_reply_waited < hang_ticks(t) ||
        p->lost_reply_at < t->up_since || now - p->lost_reply_at > COMPLAIN_FRESH)
        return refuse(caller, src, t, EINVAL);
    if (caller->complained && now - caller->complained_at < COMPLAIN_GAP)
        return refuse(caller, src, t, EAGAIN);
    caller->complained = 1;
    caller->complained_at = now;
    event("ev=complaint label=%s ep=%d by=%s by_ep=%d waited=%u", t->pub.label, ep,
          caller->pub.label, src, p->lost_reply_waited);
    service_unresponsive(t, "complaint");
    return OK;
}
