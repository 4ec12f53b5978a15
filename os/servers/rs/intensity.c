/* intensity.c - the restart intensity rule and the escalation chain. In
 * each stage of its chain a service may be restarted at most R times
 * within W seconds; the failure after that moves it to the next stage
 * (e.g. restart -> pristine reset -> dependents too -> give up), with a
 * fresh window. Exponential backoff paces the restarts within a stage. A
 * whole window without a failure brings the service back to its first
 * stage: it has recovered, and the next failure is an ordinary one. */
#include "rs.h"

static uint32_t window_ticks(const struct rs_sup *s) { return (uint32_t)s->window * RS_HZ; }

static int current(const struct rs_sup *s)
{
    return s->stage < s->nchain ? s->chain[s->stage] : STAGE_GIVEUP;
}

/* Forget the restarts the window has left behind. */
static void expire(struct rs_sup *s)
{
    int k = 0;
    for (int i = 0; i < s->nhist; i++)
        if (now - s->hist[i] < window_ticks(s)) s->hist[k++] = s->hist[i];
    s->nhist = k;
}

int sup_strikes(const struct rproc *rp)
{
    int n = 0;
    for (int i = 0; i < rp->sup.nhist; i++)
        if (now - rp->sup.hist[i] < window_ticks(&rp->sup)) n++;
    return n;
}

int sup_on_failure(struct rproc *rp, const char *cause, uint32_t *delay)
{
    struct rs_sup *s = &rp->sup;
    expire(s);
    int n = s->nhist;
    if (n >= s->max_restarts) {
        int from = current(s);
        /* past the last stage there is nowhere to go: it repeats (a chain
         * without giveup restarts for ever, paced by the backoff) */
        if (s->stage < s->nchain - 1) s->stage++;
        event("ev=escalate label=%s from=%s to=%s restarts_in_window=%d window=%d cause=%s",
              rp->pub.label, stage_name(from), stage_name(current(s)), n, s->window, cause);
        s->nhist = 0;
        n = 0;
    }
    int st = current(s);
    if (st != STAGE_GIVEUP) s->hist[s->nhist++] = now;
    /* the first restart of a stage is at once, then 10, 20, 40 ... ticks */
    uint32_t d = 0;
    if (n > 0) {
        d = BACKOFF_MAX;
        if (n - 1 < 6 && ((uint32_t)BACKOFF_BASE << (n - 1)) < BACKOFF_MAX)
            d = (uint32_t)BACKOFF_BASE << (n - 1);
    }
    *delay = d;
    return st;
}

void sup_calm(struct rproc *rp)
{
    struct rs_sup *s = &rp->sup;
    if (!s->nhist && !s->stage) return;
    expire(s);
    if (s->nhist || !s->stage) return;
    event("ev=deescalate label=%s from=%s to=%s quiet=%u", rp->pub.label,
          stage_name(current(s)), stage_name(s->chain[0]), window_ticks(s));
    s->stage = 0;
}
