/* services.c - PM's part in RS's public table: the pid of every service.
 * PM takes the services RS has from the init data (RS's public table) at
 * every init, and the later ones from RS's PM_SRV_START and PM_SRV_EXIT.
 * Whenever PM gives a service a pid RS does not show yet, it tells RS
 * (RS_SRV_PID), so `service list` and `ps` agree. */
#include "pm.h"

/* A message of its own, not a reply: RS never waits on PM. Blocking is
 * safe, as for every answer to RS: RS takes them in its main loop. */
static void tell_rs_pid(int ep, int pid)
{
    message a = { .m_type = RS_SRV_PID };
    a.SRV_PID_EP = ep;
    a.SRV_PID_PID = pid;
    int r = ipc_send(RS_PROC_EP, &a);
    if (r != OK) event("ev=pm_reply_lost dst=%d type=srv_pid err=%d", RS_PROC_EP, r);
}

static const struct rprocpub *in_table(const struct sef_init_info *info, int ep)
{
    for (int i = 0; i < info->nr_pub; i++)
        if ((info->pub[i].flags & RSF_IN_USE) && info->pub[i].endpoint == ep) return &info->pub[i];
    return 0;
}

/* Make PM's services RS's, as the init data shows them: a pid RS already
 * shows is kept (a PM that lost its table still numbers services as
 * before), a service PM does not know gets one, and one RS no longer has
 * goes (its PM_SRV_EXIT may have been lost with the old PM). */
void pm_sync_services(const struct sef_init_info *info)
{
    int max = -1;
    for (int i = 0; i < info->nr_pub; i++)
        if ((info->pub[i].flags & RSF_IN_USE) && info->pub[i].pid > max) max = info->pub[i].pid;
    pm_pids_above(max);
    for (int i = 0; i < NR_PM_PROCS; i++) {
        struct pmproc *p = &pmtab[i];
        if (p->in_use && p->kind == PK_SERVICE && p->ep != RS_PROC_EP && !in_table(info, p->ep))
            p->in_use = 0;
    }
    for (int i = 0; i < info->nr_pub; i++) {
        const struct rprocpub *e = &info->pub[i];
        if ((e->flags & RSF_IN_USE) && e->endpoint != NONE && !pm_by_ep(e->endpoint))
            pm_add_as(PK_SERVICE, e->endpoint, 1, e->label, e->pid);
    }
    pm_save();                  /* the pids RS is told must outlive a PM restart */
    int told = 0;
    for (int i = 0; i < info->nr_pub; i++) {
        const struct rprocpub *e = &info->pub[i];
        struct pmproc *p = (e->flags & RSF_IN_USE) ? pm_by_ep(e->endpoint) : 0;
        if (p && p->pid != e->pid) { tell_rs_pid(e->endpoint, p->pid); told++; }
    }
    event("ev=pm_services from=init told_rs=%d", told);
}

int pm_srv_start(message *m)
{
    if (m->m_source != RS_PROC_EP) return EPERM;
    m->PM_NAME[LABEL_MAX - 1] = 0;
    struct pmproc *p = pm_by_ep(m->PM_PID);    /* known already: from the init data */
    if (!p) p = pm_add(PK_SERVICE, m->PM_PID, 1, m->PM_NAME);
    pm_save();
    tell_rs_pid(m->PM_PID, p ? p->pid : ENOSPC);
    return EDONTREPLY;
}

int pm_srv_exit(message *m)
{
    if (m->m_source != RS_PROC_EP) return EPERM;
    struct pmproc *p = pm_by_ep(m->PM_PID);
    if (p && p->kind == PK_SERVICE) p->in_use = 0;
    return EDONTREPLY;
}
