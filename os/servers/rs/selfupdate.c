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

enum { SU_NONE, SU_RENEWING, SU_NEW_INIT };
/* where a self update is: kept, so the next image of RS knows */
static uint32_t su_stage __attribute__((section(".keep")));

int self_update_request(struct rproc *rp, message *m)
{
    /* one update at a time: another service's pending update has a spare
     * process and a caller only this image's bookkeeping can finish */
    if (su_stage != SU_NONE || lu_pending_any()) return EBUSY;
    if (m->SRV_ARGS[0] && strcmp(m->SRV_ARGS, rp->pub.label)) {
        event("ev=update_refused label=%s binary=%s reason=not-self", rp->pub.label, m->SRV_ARGS);
        return EPERM;                 /* RS is updated to its own module only */
    }
    /* a new RS that fails or never finishes its init cannot be told apart
     * from one that crashes; only a crash can be asked for */
    if (m->SRV_DBG & ~SEF_DBG_INIT_CRASH) return EINVAL;
    event("ev=update_requested label=%s state=%d maxtime=%d", rp->pub.label, m->SRV_STATE,
          m->SRV_MAXTIME);
    /* between two requests every state RS knows holds */
    event("ev=update_prepared label=%s state=%d", rp->pub.label, m->SRV_STATE);
    rp->caller = m->m_source;
    rp->dbg_flags = m->SRV_DBG;
    su_stage = SU_RENEWING;
    int r = sys_renew();              /* returns only if the kernel refused */
    su_stage = SU_NONE;
    rp->caller = NONE;
    rp->dbg_flags = 0;
    event("ev=update_aborted label=%s why=renew-failed result=%d", rp->pub.label, r);
    return r;
}

/* Early in recovery: is this image a new version starting (an update), or
 * RS back after a death? A new version asked to crash does so here, after
 * clearing the request so that the rollback does not crash too. Returns 1
 * for a new version's start (its restart is not counted). */
int self_update_begin(struct rproc *self)
{
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
        reply_caller(self, EFAULT);
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
