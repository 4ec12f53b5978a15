/* excuse.c - a ping still unanswered at the hang threshold that is not
 * the service's own silence. Read from the kernel's process table at the
 * moment RS would declare the hang:
 *  - it waits on another service (blocked in a request, or for its
 *    reply): the silence is that service's, which RS judges by its own
 *    heartbeat, or is restarting already. Killing the waiter as well
 *    turned one hung DS into a cascade: every service that was saving its
 *    state in DS died with it and came back without it (issue 22).
 *  - it is ready to run and has not had the CPU since it was pinged: a
 *    process above it in the scheduler's queues (a service spinning in a
 *    hang at a higher priority) starves it, and misses its own pings.
 *    Once: the starving one is found within one threshold.
 * An excused service is pinged afresh, and an event says why. A chain of
 * waits that comes back on itself (a deadlock) or ends at something RS
 * does not watch excuses nothing. */
#include "rs.h"

static struct proc_info tab[NR_TASKS + NR_PROCS];
static int n_tab;
static uint32_t tab_at = (uint32_t)-1;

static int snapshot(void)
{
    n_tab = 0;
    if (sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &n_tab) != OK) n_tab = 0;
    tab_at = now;
    return n_tab > 0;
}

const struct proc_info *excuse_proc(int ep, int fresh)
{
    if (fresh || tab_at != now) snapshot();
    if (ep == NONE || ep == ANY) return 0;
    for (int i = 0; i < n_tab; i++)
        if (tab[i].endpoint == ep && !(tab[i].rts_flags & RTS_SLOT_FREE)) return &tab[i];
    return 0;
}

static const struct proc_info *find(int ep) { return excuse_proc(ep, 0); }

/* whom p waits on: the partner of its send, or the one it receives from */
static int partner(const struct proc_info *p)
{
    if (p->rts_flags & RTS_SENDING) return p->sendto;
    if ((p->rts_flags & RTS_RECEIVING) && p->getfrom != ANY) return p->getfrom;
    return NONE;
}

/* p blocked sending to q while q waits in a receive that would take p's
 * message: the kernel lost the delivery (an IPC-path fault, kipc.spec's
 * sendblock), and q, which serves on, will never see it. That wait is no
 * one's silence but p's own, so it excuses nothing: excused, DS stayed
 * blocked on an idle echo until the experiment's end. */
static int would_take(const struct proc_info *p, const struct proc_info *q)
{
    if (!q || !(p->rts_flags & RTS_SENDING) || !(q->rts_flags & RTS_RECEIVING)) return 0;
    if (q->rts_flags & RTS_SENDING) return 0;             /* q's own sendrec is pending */
    return q->getfrom == ANY || q->getfrom == p->endpoint;
}

/* Does RS judge q itself: by its heartbeat, or is it restarting? */
static int watched(const struct rproc *q)
{
    if (q->tab->sys_flags & SF_SELF) return 0;
    if (q->flags & (RP_INITIALIZING | RP_RESTART_DUE | RP_STOPPED)) return 1;
    return (q->pub.flags & RSF_ACTIVE) && q->pub.period > 0;
}

/* The service at the end of rp's chain of waits, if RS watches it. */
static struct rproc *waits_on(const struct rproc *rp, const struct proc_info *p)
{
    struct rproc *end = 0;
    for (int hops = 0; hops <= NR_SERVICES; hops++) {
        int ep = p ? partner(p) : NONE;
        if (ep == NONE) return end && watched(end) ? end : 0;
        if (ep == rp->pub.endpoint) return 0;            /* back to rp: a deadlock */
        struct rproc *q = rp_by_ep(ep);
        if (!q) return 0;                                 /* a task, a user: not judged */
        const struct proc_info *qp = find(ep);
        if (would_take(p, qp)) return 0;                  /* a delivery lost, no wait */
        end = q;
        p = qp;
    }
    return 0;                                             /* a cycle further on */
}

/* A ping still unanswered at RS's first look after it: what rp had of the
 * CPU so far, to tell later whether it has run since. */
void excuse_baseline(struct rproc *rp)
{
    if (rp->cpu_seen) return;
    const struct proc_info *p = find(rp->pub.endpoint);
    if (!p) return;
    rp->cpu_disp = p->dispatches;
    rp->cpu_ticks = p->user_ticks;
    rp->cpu_seen = 1;
}

int ping_excused(struct rproc *rp)
{
    const struct proc_info *p = excuse_proc(rp->pub.endpoint, 1);
    if (!p) return 0;
    const char *why = 0;
    struct rproc *on = waits_on(rp, p);
    if (on) why = "waits";
    else if (p->rts_flags == 0 && rp->cpu_seen && p->dispatches == rp->cpu_disp &&
             p->user_ticks == rp->cpu_ticks && !rp->not_run_excused)
        why = "not-run";
    /* not run twice in a row is no starvation: whatever starves it misses
     * its own pings within one threshold. A process the scheduler lost (a
     * kernel fault left it runnable outside every queue) never runs again,
     * and only a restart brings it back. */
    rp->not_run_excused = why && !on;
    if (!why) return 0;
    event("ev=ping_excused label=%s ep=%d since=%u why=%s on=%s", rp->pub.label, rp->pub.endpoint,
          now - rp->ping_sent, why, on ? on->pub.label : "-");
    rp->flags &= ~RP_PINGED;
    rp->next_ping = now;                 /* asked again in the next round */
    return 1;
}
