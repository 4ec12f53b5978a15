/* ping.c - the two heartbeat thresholds. A service busy for a while (a
 * long request, a slow disk) answers its ping late: worth a warning, not
 * a restart. Only an answer still missing at the second, later threshold
 * makes it hung. Both are whole heartbeat periods, per service. */
#include "rs.h"

static uint32_t ticks(const struct rproc *rp, int periods)
{
    return (uint32_t)periods * (uint32_t)rp->pub.period;
}

/* Its answer came (a notification from the service). */
void ping_answered(struct rproc *rp)
{
    if (!(rp->flags & RP_PINGED)) return;
    rp->flags &= ~RP_PINGED;
    rp->not_run_excused = 0;
    uint32_t since = now - rp->ping_sent, late = ticks(rp, rp->sup.ping_late);
    if (rp->pub.period > 0 && since > late)
        event("ev=ping_late label=%s ep=%d since=%u late_by=%u hang_after=%u", rp->pub.label,
              rp->pub.endpoint, since, since - late, ticks(rp, rp->sup.ping_hang));
}

int ping_overdue(struct rproc *rp)
{
    return (rp->flags & RP_PINGED) && now - rp->ping_sent >= ticks(rp, rp->sup.ping_hang);
}
