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
    rp->lu_deadline = now + (uint32_t)(maxtime > 0 ? maxtime : 200);
    rp->next_img = img;
    rp->flags |= RP_LU_PREPARE | RP_LU_DELIVER;
    rp->pub.flags |= RSF_UPDATING;
    event("ev=update_requested label=%s state=%d maxtime=%d", rp->pub.label, state, maxtime);
    /* delivered by the main loop once the request has been answered: the
     * requester may be the service itself, waiting for that answer */
    return OK;
}

static void abort_update(struct rproc *rp, const char *why, int result)
{
    rp->flags &= ~(RP_LU_PREPARE | RP_LU_DELIVER);
    rp->pub.flags &= ~RSF_UPDATING;
    rp->next_img = -1;
    rp->dbg_flags = 0;                   /* meant for a new version that never came */
    message m = { .m_type = RS_LU_CANCEL };
    ipc_sendnb(rp->pub.endpoint, &m);
    event("ev=update_aborted label=%s why=%s", rp->pub.label, why);
    reply_caller(rp, result);
}

void lu_check(struct rproc *rp)
{
    if ((rp->flags & RP_LU_PREPARE) && now >= rp->lu_deadline) {
        abort_update(rp, "prepare-timeout", ETIMEDOUT);
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
        abort_update(rp, "prepare-refused", result);
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
        abort_update(rp, "exec-failed", r);
        return;
    }
    rp->next_img = rp->img;              /* kept for a rollback */
    rp->img = new_img;
    rp->old_ep = rp->pub.endpoint;
    rp->init_type = SEF_INIT_LU;
    rp->flags |= RP_INITIALIZING;
    rp->flags &= ~RP_PINGED;
    rp->init_deadline = now + INIT_TIMEOUT;
}
