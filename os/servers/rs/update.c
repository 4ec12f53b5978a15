/* update.c - live update. RS asks the service to prepare for a state; the
 * service answers RS_LU_READY once there (SEF does this) and waits in that
 * call. If it does not get there within maxtime, the update is aborted and
 * the old version keeps serving. Otherwise RS starts the new version in a
 * spare process and swaps the two (SYS_UPDATE): the new version runs its
 * live-update init under the service's endpoint, pid and privileges, its
 * state from DS and the old one's keep region, while the old version
 * waits, suspended, in the spare slot. If the new init succeeds the old
 * version ends; if it fails, times out or crashes, a second swap puts the
 * old version back and its RS_LU_READY call returns: it serves on as if
 * nothing happened (no restart, no strike, the same endpoint). Several
 * updates as one transaction reuse these steps in batch.c. One update (or
 * batch) at a time: while one is pending, another
 * update, and a restart or refresh of the service, get EBUSY; `down`
 * instead aborts the update (the operator's stop wins; both versions end
 * and the update's caller hears EINTR; a batch member refuses it). */
#include "rs.h"

static void deliver(struct rproc *rp)
{
    if (waiting_on_rs(rp->pub.endpoint)) return;     /* would look like a reply */
    message m = { .m_type = RS_LU_PREPARE };
    m.LU_STATE = rp->lu_state;
    m.LU_MAXTIME = (int)(rp->lu_deadline - now);
    if (ipc_sendnb(rp->pub.endpoint, &m) == OK) rp->flags &= ~RP_LU_DELIVER;
}

int start_update(struct rproc *rp, int state, int maxtime, int img, int lu_flags)
{
    if (lu_flags & ~RS_LU_PREPARE_ONLY) return EINVAL;
    if (!(rp->pub.flags & RSF_ACTIVE) || (rp->flags & RP_INITIALIZING) || lu_pending_any())
        return EBUSY;
    if (rp->tab->sys_flags & SF_NOSEF) return ENOSYS;
    lu_ask(rp, state, maxtime, img, lu_flags);
    return OK;
}

/* Ask rp to prepare (a single update, or one member of a batch). */
void lu_ask(struct rproc *rp, int state, int maxtime, int img, int lu_flags)
{
    rp->lu_state = state;
    /* maxtime: ticks; 0 the default; < 0 no limit (MINIX's encoding) */
    rp->lu_deadline = now + (uint32_t)(maxtime > 0 ? maxtime : LU_DEFAULT_MAXTIME);
    rp->flags = (rp->flags & ~(RP_LU_NOLIMIT | RP_LU_PREPONLY)) | (maxtime < 0 ? RP_LU_NOLIMIT : 0) |
                ((lu_flags & RS_LU_PREPARE_ONLY) ? RP_LU_PREPONLY : 0);
    rp->next_img = img;
    rp->flags |= RP_LU_PREPARE | RP_LU_DELIVER;
    rp->pub.flags |= RSF_UPDATING;
    event("ev=update_requested label=%s state=%d maxtime=%d", rp->pub.label, state, maxtime);
    /* delivered by the main loop once the request has been answered: the
     * requester may be the service itself, waiting for that answer */
}

/* tell: the service is alive and waits for a cancel (not when it died or
 * hangs: RS restarts it, and a cancel left in its queue would confuse the
 * new instance) */
void lu_abort(struct rproc *rp, const char *why, int result, int tell)
{
    rp->flags &= ~(RP_LU_PREPARE | RP_LU_DELIVER);
    rp->pub.flags &= ~RSF_UPDATING;
    rp->next_img = -1;
    rp->dbg_flags = 0;                   /* meant for a new version that never came */
    /* a service blocked in a request to RS would take the cancel for its
     * answer; it never got the prepare request either (deliver holds it) */
    if (tell && !waiting_on_rs(rp->pub.endpoint)) {
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
int lu_failed_while_preparing(struct rproc *rp, const char *cause)
{
    const char *why = !strcmp(cause, "hang") ? "hung-while-preparing" :
                      !strcmp(cause, "exit") ? "exited-while-preparing" : "crashed-while-preparing";
    int err = !strcmp(cause, "hang") ? ETIMEDOUT : !strcmp(cause, "exit") ? EINTR : EFAULT;
    if (rp->flags & RP_LU_BATCH) {
        /* swapped: its new version died after its init; the old one is
         * put back with all the others */
        if (rp->lu_ep != NONE) return lu_batch_fail(rp, err, "died-after-init");
        rp->flags &= ~RP_LU_WAITING;
        lu_batch_abort(rp, why, err, 0);
        return 0;
    }
    if (!(rp->flags & (RP_LU_PREPARE | RP_LU_DELIVER))) return 0;
    lu_abort(rp, why, err, 0);
    return 0;
}

/* Stopped on request (`service down`) while preparing: no cancel, the
 * process ends right after. */
void lu_cancel(struct rproc *rp, const char *why, int result)
{
    if (rp->flags & (RP_LU_PREPARE | RP_LU_DELIVER)) lu_abort(rp, why, result, 0);
    if (rp->flags & RP_LU_INIT) {
        /* the new version is in its init: it ends with the service, and
         * the old one, suspended in the spare slot, with it */
        if (rp->lu_ep != NONE) sys_exit_proc(rp->lu_ep);
        rp->lu_ep = NONE;
        rp->flags &= ~RP_LU_INIT;
        rp->next_img = -1;
        rp->pub.flags &= ~RSF_UPDATING;
        event("ev=update_aborted label=%s why=%s result=%d", rp->pub.label, why, result);
        reply_caller(rp, result);
    }
}

void lu_check(struct rproc *rp)
{
    if ((rp->flags & (RP_LU_PREPARE | RP_LU_NOLIMIT)) == RP_LU_PREPARE && now >= rp->lu_deadline) {
        if (rp->flags & RP_LU_BATCH) lu_batch_abort(rp, "prepare-timeout", ETIMEDOUT, 1);
        else lu_abort(rp, "prepare-timeout", ETIMEDOUT, 1);
        return;
    }
    if (rp->flags & RP_LU_DELIVER) deliver(rp);
}

/* Is an update under way (asked for, being prepared, or its new version
 * in its init)? */
int lu_pending(const struct rproc *rp)
{
    return (rp->flags & (RP_LU_PREPARE | RP_LU_DELIVER | RP_LU_INIT | RP_LU_BATCH)) != 0;
}

int lu_pending_any(void)
{
    for (int i = 0; i < NR_SERVICES; i++)
        if ((rproc[i].pub.flags & RSF_IN_USE) && lu_pending(&rproc[i])) return 1;
    return 0;
}

/* The old version waits in its RS_LU_READY call: the answer lets it go on
 * (SEF's lu_ready returns, and the service with it to its loop). */
void lu_resume_old(int ep)
{
    message r = { .m_type = EINTR };
    ipc_sendnb(ep, &r);
}

/* The new version's process: a blank fork in any free slot, the image
 * loaded, no privilege yet (it takes the old one's with the swap). */
static int start_spare(struct rproc *rp, int img_idx, int *spare)
{
    const uint8_t *img; uint32_t len;
    char cmd[64];
    int r;
    *spare = NONE;
    if ((r = image_get(img_idx, &img, &len)) != OK) return r;
    if ((r = sys_fork(SELF, -1, FORK_BLANK, spare)) != OK) { *spare = NONE; return r; }
    snprintf(cmd, sizeof cmd, "%s%s%s", rp->pub.label, rp->args[0] ? " " : "", rp->args);
    return sys_exec(*spare, img, len, cmd);
}

void lu_ready(struct rproc *rp, message *m)
{
    int result = m->LU_RESULT;
    if (!(rp->flags & RP_LU_PREPARE)) {
        lu_resume_old(rp->pub.endpoint);    /* too late: it was aborted */
        return;
    }
    if (rp->flags & RP_LU_BATCH) { lu_batch_ready(rp, result); return; }
    if (result != OK) {
        lu_resume_old(rp->pub.endpoint);
        lu_abort(rp, "prepare-refused", result, 1);
        return;
    }
    event("ev=update_prepared label=%s state=%d", rp->pub.label, rp->lu_state);
    if (rp->flags & RP_LU_PREPONLY) {
        /* a prepare-only update ends here: the service reached the state,
         * RS says so, and it goes on as it was (MINIX's `service -o`) */
        rp->flags &= ~(RP_LU_PREPARE | RP_LU_DELIVER | RP_LU_PREPONLY);
        rp->pub.flags &= ~RSF_UPDATING;
        rp->next_img = -1;
        rp->dbg_flags = 0;
        lu_resume_old(rp->pub.endpoint);
        event("ev=update_prepare_only label=%s state=%d", rp->pub.label, rp->lu_state);
        reply_caller(rp, OK);
        return;
    }
    int ep = rp->pub.endpoint, r;
    rp->flags &= ~(RP_LU_PREPARE | RP_LU_DELIVER);
    r = lu_swap_in(rp);
    if (r != OK) {
        lu_resume_old(ep);
        rp->flags |= RP_LU_PREPARE;
        lu_abort(rp, "exec-failed", r, 1);
        return;
    }
    rp->flags |= RP_INITIALIZING;
    rp->init_deadline = now + INIT_TIMEOUT;
    r = sys_privctl(ep, PRIV_ALLOW, 0);
    if (r != OK) init_done(rp, r, "init-failed");
}

/* Start rp's new version in a spare slot and swap it in; it does not run
 * until allowed (PRIV_ALLOW). On failure nothing changed: the old
 * version still waits in its RS_LU_READY call at the service's slot. */
int lu_swap_in(struct rproc *rp)
{
    int ep = rp->pub.endpoint, new_img = rp->next_img, spare, r;
    r = start_spare(rp, new_img, &spare);
    if (r == OK) r = sys_update(UPD_COPY_KEEP, ep, spare);
    if (r == OK) r = sys_update(UPD_SWAP, ep, spare);
    if (r != OK) {
        if (spare != NONE) sys_exit_proc(spare);     /* its memory goes back */
        return r;
    }
    /* ep runs the new version now; the old one waits in the spare slot */
    rp->lu_ep = spare;
    rp->next_img = rp->img;              /* kept for a rollback */
    rp->img = new_img;
    rp->old_ep = ep;
    rp->init_type = SEF_INIT_LU;
    rp->flags |= RP_LU_INIT;
    rp->flags &= ~(RP_PINGED | RP_STOPPED);
    /* in its init the new version answers no pings (nor does the old one,
     * suspended): only the init deadline judges it */
    rp->pub.flags &= ~RSF_ACTIVE;
    event("ev=update_started label=%s ep=%d spare_ep=%d", rp->pub.label, ep, spare);
    return OK;
}

/* Undo lu_swap_in before the new version ran: the old one is back at
 * the service's slot, still waiting in its RS_LU_READY call. */
void lu_swap_back(struct rproc *rp)
{
    int spare = rp->lu_ep;
    if (spare == NONE) return;
    sys_update(UPD_SWAP, rp->pub.endpoint, spare);
    sys_exit_proc(spare);
    rp->lu_ep = NONE;
    rp->img = rp->next_img;
    rp->next_img = -1;
    rp->flags &= ~RP_LU_INIT;
}

/* The new version's init succeeded: the old version, suspended in the
 * spare slot, ends. PM, VM and DS knew the service by its endpoint and
 * still do: nothing to tell them. */
void lu_commit(struct rproc *rp)
{
    int spare = rp->lu_ep;
    rp->lu_ep = NONE;
    rp->next_img = -1;                   /* no way back now */
    if (spare != NONE) sys_exit_proc(spare);
    event("ev=update_done label=%s ep=%d", rp->pub.label, rp->pub.endpoint);
}

/* The new version's init failed (why: init-timeout, crashed-in-init,
 * exited-in-init, init-failed). Swap back, end the new version, let the
 * old one go on, and only then answer the caller. 1 if the old version
 * serves again; 0 if it could not be put back (its process is gone):
 * then the caller restarts the old image as after any failure. */
int lu_rollback(struct rproc *rp, int result, const char *why)
{
    int ep = rp->pub.endpoint, spare = rp->lu_ep, r;
    event("ev=update_failed label=%s result=%d rollback=1 why=%s", rp->pub.label, result, why);
    rp->lu_ep = NONE;
    rp->img = rp->next_img;              /* the old version */
    rp->next_img = -1;
    rp->pub.flags &= ~RSF_UPDATING;
    rp->dbg_flags = 0;
    sys_stop(ep, 1);                     /* the new version runs no more */
    r = spare == NONE ? ESRCH : sys_update(UPD_SWAP, ep, spare);
    if (r != OK) {
        if (spare != NONE) sys_exit_proc(spare);
        return 0;
    }
    sys_exit_proc(spare);                /* the new version, its memory back */
    rp->flags &= ~(RP_INITIALIZING | RP_LU_INIT | RP_PINGED | RP_STOPPED);
    rp->pub.flags |= RSF_ACTIVE;
    rp->next_ping = now + (uint32_t)rp->pub.period;
    /* the same endpoint again: a DS restarted during the new init named
     * none for a service that was not active */
    if (!(rp->tab->sys_flags & SF_NOSEF)) publish(rp);
    lu_resume_old(ep);
    event("ev=update_rolled_back label=%s ep=%d", rp->pub.label, ep);
    reply_caller(rp, result);
    return 1;
}
