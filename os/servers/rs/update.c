/* update.c - live update. RS asks the service to prepare for a state; the
 * service answers RS_LU_READY once there (SEF does this). If it does not
 * within maxtime, the update is aborted and the old version keeps serving.
 * Otherwise RS loads the new image into the same process (same endpoint)
 * and it starts with the live-update init type, its state in DS. */
#include "rs.h"

static void deliver(struct rproc *rp)
{
    if (waiting_on_rs(rp->pub.endpoint)) return;     /* would look like a reply */
    message m = { .m_type = RS_LU_PREPARE };
    m.LU_STATE = rp->lu_state;
    m.LU_MAXTIME = (int)(rp->lu_deadline - now);
    if (ipc_sendnb(rp->pub.endpoint, &m) == OK) rp->flags &= ~RP_LU_DELIVER;
}

int start_update(struct rproc *rp, int state, int maxtime, int img)
{
    if (!(rp->pub.flags & RSF_ACTIVE) || (rp->flags & (RP_LU_PREPARE | RP_INITIALIZING)))
        return EBUSY;
    if (rp->tab->sys_flags & SF_NOSEF) return ENOSYS;
    rp->lu_state = state;
    /* maxtime: ticks; 0 the default; < 0 no limit (MINIX's encoding) */
    rp->lu_deadline = now + (uint32_t)(maxtime > 0 ? maxtime : LU_DEFAULT_MAXTIME);
    rp->flags = (rp->flags & ~RP_LU_NOLIMIT) | (maxtime < 0 ? RP_LU_NOLIMIT : 0);
    rp->next_img = img;
    rp->flags |= RP_LU_PREPARE | RP_LU_DELIVER;
    rp->pub.flags |= RSF_UPDATING;
    event("ev=update_requested label=%s state=%d maxtime=%d", rp->pub.label, state, maxtime);
    /* delivered by the main loop once the request has been answered: the
     * requester may be the service itself, waiting for that answer */
    return OK;
}

/* tell: the service is alive and waits for a cancel (not when it died or
 * hangs: RS restarts it, and a cancel left in its queue would confuse the
 * new instance) */
static void abort_update(struct rproc *rp, const char *why, int result, int tell)
{
    rp->flags &= ~(RP_LU_PREPARE | RP_LU_DELIVER);
    rp->pub.flags &= ~RSF_UPDATING;
    rp->next_img = -1;
    rp->dbg_flags = 0;                   /* meant for a new version that never came */
    if (tell) {
        message m = { .m_type = RS_LU_CANCEL };
        ipc_sendnb(rp->pub.endpoint, &m);
    }
    event("ev=update_aborted label=%s why=%s result=%d", rp->pub.label, why, result);
    reply_caller(rp, result);
}

/* The service failed while preparing (rp->img is still the old version,
 * which RS restarts as after any failure). The caller learns the update
 * did not happen, before the restart can answer anyone: EFAULT for a
 * crash and EINTR for an exit, as for a failed init; ETIMEDOUT for a
 * missed ping, as for a silent init. */
void lu_failed_while_preparing(struct rproc *rp, const char *cause)
{
    if (!(rp->flags & (RP_LU_PREPARE | RP_LU_DELIVER))) return;
    if (!strcmp(cause, "hang")) abort_update(rp, "hung-while-preparing", ETIMEDOUT, 0);
    else if (!strcmp(cause, "exit")) abort_update(rp, "exited-while-preparing", EINTR, 0);
    else abort_update(rp, "crashed-while-preparing", EFAULT, 0);
}

/* Stopped on request (`service down`) while preparing: no cancel, the
 * process ends right after. */
void lu_cancel(struct rproc *rp, const char *why, int result)
{
    if (rp->flags & (RP_LU_PREPARE | RP_LU_DELIVER)) abort_update(rp, why, result, 0);
}

void lu_check(struct rproc *rp)
{
    if ((rp->flags & (RP_LU_PREPARE | RP_LU_NOLIMIT)) == RP_LU_PREPARE && now >= rp->lu_deadline) {
        abort_update(rp, "prepare-timeout", ETIMEDOUT, 1);
        return;
    }
    if (rp->flags & RP_LU_DELIVER) deliver(rp);
}

void lu_ready(struct rproc *rp, message *m)
{
    int result = m->LU_RESULT;
    if (!(rp->flags & RP_LU_PREPARE)) {
        message r = { .m_type = EINTR };     /* too late: it was aborted */
        ipc_sendnb(rp->pub.endpoint, &r);
        return;
    }
    if (result != OK) {
        message r = { .m_type = EINTR };
        ipc_sendnb(rp->pub.endpoint, &r);
        abort_update(rp, "prepare-refused", result, 1);
        return;
    }
    event("ev=update_prepared label=%s state=%d", rp->pub.label, rp->lu_state);
    const uint8_t *img; uint32_t len;
    int new_img = rp->next_img, r;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s%s%s", rp->pub.label, rp->args[0] ? " " : "", rp->args);
    rp->flags &= ~(RP_LU_PREPARE | RP_LU_DELIVER);
    r = image_get(new_img, &img, &len);
    if (r == OK) r = sys_exec(rp->pub.endpoint, img, len, cmd);
    if (r != OK) {
        message rr = { .m_type = EINTR };
        ipc_sendnb(rp->pub.endpoint, &rr);
        rp->flags |= RP_LU_PREPARE;
        abort_update(rp, "exec-failed", r, 1);
        return;
    }
    rp->next_img = rp->img;              /* kept for a rollback */
    rp->img = new_img;
    rp->old_ep = rp->pub.endpoint;
    rp->init_type = SEF_INIT_LU;
    rp->flags |= RP_INITIALIZING | RP_LU_INIT;
    rp->flags &= ~RP_PINGED;
    /* in its init the new version answers no pings (nor did the old one
     * since it sent ready): only the init deadline judges it */
    rp->pub.flags &= ~RSF_ACTIVE;
    rp->init_deadline = now + INIT_TIMEOUT;
}
