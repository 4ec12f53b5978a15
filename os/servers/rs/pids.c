/* pids.c - PM's pid of every service instance, in RS's public table. PM
 * numbers processes, so RS does not guess: PM takes the boot services from
 * its init data, RS tells it of each later instance (PM_SRV_START), and PM
 * tells RS the pid it gave (RS_SRV_PID). A pid is filed only under the live
 * instance PM was told of, so a late one for an instance RS has since
 * ended is dropped. A restart in place keeps endpoint and pid; a new
 * instance gets new ones. Until PM has told RS, the pid is -1. */
#include "rs.h"
#include "outbox.h"

/* A boot process: PM learns it from the init data, not from a message. */
void pm_expect(struct rproc *rp)
{
    rp->pid_ep = rp->pub.endpoint;
    rp->pub.pid = -1;
}

void pm_started(struct rproc *rp, int ep)
{
    rp->pid_ep = ep;
    rp->pub.pid = -1;
    message pm = { .m_type = PM_SRV_START };
    pm.PM_PID = ep;
    strlcpy(pm.PM_NAME, rp->pub.label, LABEL_MAX);
    outbox_post(PM_PROC_EP, &pm);
}

void pm_ended(struct rproc *rp)
{
    pm_forget(rp->pub.endpoint);
    rp->pid_ep = NONE;
    rp->pub.pid = -1;
}

/* PM sent this without waiting for an answer: none is given to PM. */
void pid_answer(message *m)
{
    struct rproc *pm = rp_by_label("pm");
    if (!pm || m->m_source != pm->pub.endpoint) {
        if (rs_refusal_shown()) event("ev=rs_refused req=srv_pid by=%d", m->m_source);
        m->m_type = EPERM;
        ipc_sendnb(m->m_source, m);
        return;
    }
    int ep = m->SRV_PID_EP, pid = m->SRV_PID_PID;
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (!(rp->pub.flags & RSF_IN_USE) || rp->pid_ep != ep || rp->pub.endpoint != ep) continue;
        rp->pub.pid = pid >= 0 ? pid : -1;
        event("ev=service_pid label=%s ep=%d pid=%d", rp->pub.label, ep, pid);
    }
}
