/* period.c - RS's periodic work, every RS_TICK clock ticks: heartbeats,
 * init deadlines, scheduled restarts, live-update deadlines, and the end
 * of an escalation once a service has been quiet for its window. */
#include "rs.h"
#include "contract.h"

/* kept across RS's own restart (recover.c): a period set at run time
 * outlives the RS that set it */
int period_set __attribute__((section(".keep")));

/* `service sysctl period N` (RS_SYSCTL_PERIOD), as MINIX's `service edit
 * -period` for every service at once: the default heartbeat period is N
 * ticks from now on, for services started later and for every service
 * whose period is the default (its own in the sys table, or one given to
 * `service up`, stays). Each of those is next pinged N ticks from now: a
 * ping in flight is judged by the new period. A campaign sets an
 * experiment's period this way at the plan point, so one booted machine
 * serves every period (the boot's `period=` is the same for the boot). */
int set_default_period(int ticks)
{
    if (ticks <= 0 || ticks > RS_PERIOD_MAX) return EINVAL;
    def_period = period_set = ticks;
    int n = 0;
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (!(rp->pub.flags & RSF_IN_USE) || !rp->period_dflt) continue;
        rp->pub.period = ticks;
        rp->next_ping = now + (uint32_t)ticks;
        n++;
    }
    event("ev=rs_period period=%d services=%d", ticks, n);
    return OK;
}

void do_period(void)
{
    rs_refusals_flush();
    struct rproc *self = rp_by_label("rs");
    if (self) self_update_period(self);
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (!(rp->pub.flags & RSF_IN_USE)) continue;
        if ((rp->flags & RP_INITIALIZING) && now >= rp->init_deadline) {
            event("ev=init_timeout label=%s ep=%d", rp->pub.label, rp->pub.endpoint);
            init_done(rp, ETIMEDOUT, "init-timeout");
            continue;
        }
        if ((rp->flags & RP_RESTART_DUE) && now >= rp->restart_at) {
            do_restart(rp);
            continue;
        }
        if ((rp->flags & (RP_LU_PREPARE | RP_LU_DELIVER))) lu_check(rp);
        if (rp->pub.flags & RSF_ACTIVE) sup_calm(rp);
        /* a service in its init is judged by the init deadline alone: it
         * cannot answer a ping before its init is done */
        if (!(rp->pub.flags & RSF_ACTIVE) || (rp->flags & RP_INITIALIZING) || rp->pub.period <= 0)
            continue;
        if (!(rp->flags & RP_PINGED) && now < rp->next_ping) continue;
        if (waiting_on_rs(rp->pub.endpoint)) {
            /* blocked in a request to RS (service up, update): not hung */
            rp->next_ping = now + (uint32_t)rp->pub.period;
            rp->flags &= ~RP_PINGED;
            continue;
        }
        if (rp->flags & RP_PINGED) {
            /* one ping at a time: a late answer is only a warning (ping.c),
             * no answer by the second threshold is a hang */
            if (!ping_overdue(rp)) excuse_baseline(rp);
            else if (!ping_excused(rp)) service_hung(rp);
            continue;
        }
        rp->flags |= RP_PINGED;
        rp->cpu_seen = 0;
        rp->ping_sent = now;
        rp->next_ping = now + (uint32_t)rp->pub.period;
        ipc_notify(rp->pub.endpoint);
    }
}
