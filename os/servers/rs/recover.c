/* recover.c - RS after its own death. The kernel's guardian restarted RS
 * in place (os/kernel/guardian.c) with its keep region: the service table,
 * the outbox and the list of executables are as the old RS left them. The
 * new RS checks that the table is whole, re-adopts every service without
 * restarting it (same endpoints, same privileges: nothing of theirs went
 * away), drops what only the old image had (its copies of executables,
 * the callers it was answering, the pings in flight), collects the
 * signals that came meanwhile, and goes on with the heartbeats. */
#include "rs.h"

void rs_recover(void)
{
    booting = 0;
    boot_read_args();
    if (rs_kept_magic != RS_KEPT_MAGIC) rs_panic("restarted, but its table was not kept", "rs");
    image_forget_copies();
    struct rproc *self = rp_by_label("rs");
    int renewed = self ? self_update_begin(self) : 0;    /* selfupdate.c */
    static struct proc_info tab[NR_TASKS + NR_PROCS];
    int n = 0, adopted = 0, gone = 0;
    if (sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &n) != OK) rs_panic("cannot read process table", "rs");
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (!(rp->pub.flags & RSF_IN_USE)) continue;
        if (rp->tab->sys_flags & SF_SELF) {
            /* this restart, in RS's own row as any service's; a new version
             * taking over (an update) is no restart */
            if (!renewed) rp->pub.restarts++;
            continue;
        }
        /* after a death its caller got an error and asks again; a new
         * version (an update) answers it, as nobody's wait was broken */
        if (!renewed) rp->caller = NONE;
        rp->flags &= ~RP_PINGED;
        rp->next_ping = now + (uint32_t)(rp->pub.period > 0 ? rp->pub.period : 1);
        if (rp->flags & RP_INITIALIZING) rp->init_deadline = now + INIT_TIMEOUT;
        if (rp->flags & RP_LU_PREPARE) rp->lu_deadline = now + 50;
        if (rp->flags & RP_RESTART_DUE && rp->restart_at < now) rp->restart_at = now;
        int alive = 0;
        for (int j = 0; j < n; j++)
            if (tab[j].endpoint == rp->pub.endpoint && !(tab[j].rts_flags & RTS_SLOT_FREE)) alive = 1;
        if (rp->pub.endpoint == NONE || alive) adopted++;
        else gone++;
    }
    event("ev=rs_recovered services=%d gone=%d", adopted, gone);
    handle_kernel_signals();             /* faults that came while RS was away */
    sys_setalarm(RS_TICK, 0);
    if (self) self_update_end(self);     /* a new version has taken over */
}
