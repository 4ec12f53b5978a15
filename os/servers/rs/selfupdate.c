/* selfupdate.c - a live update of RS itself (`service update rs`).
 *
 * RS handles one request at a time, so between two of them nothing of its
 * own is in flight: it is prepared for any state the moment it takes the
 * request. It records in its keep region that a new version is coming,
 * and asks the kernel to replace its image in place (SYS_RENEW, kernel
 * guardian.c): same slot and endpoint, the keep region (service table,
 * outbox, image list) carried over, started with `recover` as after a
 * death, and everyone waiting on RS still waiting. The new RS takes up
 * supervision from the kept table (recover.c); when it has, the update is
 * done and the caller is answered OK. If the new RS dies before that, the
 * kernel's guardian starts RS again from its boot module: the old version
 * (the rollback), which finds the update unfinished in its keep region
 * and answers the caller with the failure. */
#include "rs.h"

enum { SU_NONE, SU_WAITING, SU_RENEWING, SU_NEW_INIT };
/* where a self update is: kept, so the next image of RS knows */
static uint32_t su_stage __attribute__((section(".keep")));
/* a prepare for a state RS never reaches: when it gives up, and whether it
 * was to replace RS at all (-o) */
static uint32_t su_deadline __attribute__((section(".keep")));
static int su_nolimit __attribute__((section(".keep")));

/* RS is prepared, for the state asked: replace it, or (prepare-only) say
 * so and go on. Answered here only on failure or for prepare-only. */
static int self_update_go(struct rproc *rp, int state, int prepare_only)
{
    event("ev=update_prepared label=%s state=%d", rp->pub.label, state);
    if (prepare_only) {
        su_stage = SU_NONE;
        rp->dbg_flags = 0;
        event("ev=update_prepare_only label=%s state=%d", rp->pub.label, state);
        return OK;
    }
    su_stage = SU_RENEWING;
    int r = sys_renew();              /* returns only if the kernel refused */
    su_stage = SU_NONE;
    rp->dbg_flags = 0;
    event("ev=update_aborted label=%s why=renew-failed result=%d", rp->pub.label, r);
    return r;
}

int self_update_request(struct rproc *rp, message *m)
{
    /* one update at a time: another service's pending update has a spare
     * process and a caller only this image's bookkeeping can finish */
    if (su_stage != SU_NONE || lu_pending_any() || lu_batch_busy()) return EBUSY;
    if (m->SRV_ARGS[0] && strcmp(m->SRV_ARGS, rp->pub.label)) {
        char q[2 * SRV_ARGS_MAX + 3];          /* the requester's bytes, quoted */
        event("ev=update_refused label=%s binary=%s reason=not-self", rp->pub.label,
              ev_quote(q, sizeof q, m->SRV_ARGS));
        return EPERM;                 /* RS is updated to its own module only */
    }
    /* a new RS that fails or never finishes its init cannot be told apart
     * from one that crashes; only a crash can be asked for */
    if (m->SRV_DBG & ~SEF_DBG_INIT_CRASH) return EINVAL;
    if (m->SRV_LU_FLAGS & ~RS_LU_PREPARE_ONLY) return EINVAL;
    int state = m->SRV_STATE, maxtime = m->SRV_MAXTIME;
    /* between two requests RS has nothing in flight, so the standard
     * states hold at once; the debug state UNREACHABLE never does */
    if (state != SEF_LU_STATE_WORK_FREE && state != SEF_LU_STATE_REQUEST_FREE &&
        state != SEF_LU_STATE_PROTOCOL_FREE && state != SEF_LU_STATE_UNREACHABLE)
        return EINVAL;
    event("ev=update_requested label=%s state=%d maxtime=%d", rp->pub.label, state, maxtime);
    rp->caller = m->m_source;
    rp->dbg_flags = m->SRV_DBG;
    rp->lu_state = state;
    rp->flags = (rp->flags & ~RP_LU_PREPONLY) |
                ((m->SRV_LU_FLAGS & RS_LU_PREPARE_ONLY) ? RP_LU_PREPONLY : 0);
    if (state == SEF_LU_STATE_UNREACHABLE) {
        /* waits, serving on, until the prepare time runs out (do_period) */
        su_stage = SU_WAITING;
        su_nolimit = maxtime < 0;
        su_deadline = now + (uint32_t)(maxtime > 0 ? maxtime : LU_DEFAULT_MAXTIME);
        return EDONTREPLY;
    }
    int r = self_update_go(rp, state, (rp->flags & RP_LU_PREPONLY) != 0);
    rp->caller = NONE;                /* answered now (the new RS answers a renewal) */
    return r;
}

/* Every round of RS's periodic work: a prepare that never gets ready
 * ends at its deadline, as any service's. */
void self_update_period(struct rproc *self)
{
    if (su_stage != SU_WAITING || su_nolimit || now < su_deadline) return;
    su_stage = SU_NONE;
    self->dbg_flags = 0;
    self->flags &= ~RP_LU_PREPONLY;
    event("ev=update_aborted label=%s why=prepare-timeout result=%d", self->pub.label, ETIMEDOUT);
    reply_caller(self, ETIMEDOUT);
}

/* Early in recovery: is this image a new version starting (an update), the
 * old one back after the new one died in its init (the rollback), or RS
 * back after a death? A new version asked to crash does so here, after
 * clearing the request so that the rollback does not crash too. Returns 1
 * when this start is part of an update (no restart counted, and every
 * wait on RS was kept), 0 after a death. */
int self_update_begin(struct rproc *self)
{
    if (su_stage == SU_WAITING) {
        /* RS died while waiting for an unreachable state: the update
         * ends with it; its caller got an error when RS died */
        su_stage = SU_NONE;
        self->dbg_flags = 0;
        self->caller = NONE;
        event("ev=update_aborted label=%s why=died-while-preparing result=%d",
              self->pub.label, EINTR);
        return 0;
    }
    if (su_stage == SU_RENEWING) {
        su_stage = SU_NEW_INIT;
        if (self->dbg_flags & SEF_DBG_INIT_CRASH) {
            self->dbg_flags = 0;
            volatile int *volatile p = 0;
            *p = 0xdead;              /* the new version dies in its init */
        }
        return 1;
    }
    if (su_stage == SU_NEW_INIT) {
        /* the new version died before it took over: this is the old one,
         * started from the boot module by the kernel's guardian */
        su_stage = SU_NONE;
        self->dbg_flags = 0;
        event("ev=init_result label=%s ep=%d type=lu result=%d", self->pub.label,
              self->pub.endpoint, EFAULT);
        event("ev=update_failed label=%s result=%d rollback=1 why=crashed-in-init",
              self->pub.label, EFAULT);
        event("ev=update_rolled_back label=%s ep=%d", self->pub.label, self->pub.endpoint);
        reply_caller(self, EFAULT);
        /* a failed update is no restart of RS (the kernel kept everyone's
         * wait on RS for the answer above) */
        return 1;
    }
    return 0;
}

/* Recovery is over: a new version has taken over, the update is done. */
void self_update_end(struct rproc *self)
{
    if (su_stage != SU_NEW_INIT) return;
    su_stage = SU_NONE;
    event("ev=init_result label=%s ep=%d type=lu result=0", self->pub.label, self->pub.endpoint);
    event("ev=update_done label=%s ep=%d", self->pub.label, self->pub.endpoint);
    reply_caller(self, OK);
}
