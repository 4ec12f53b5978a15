/* deps.c - dependencies between services. A service names the labels it
 * depends on (sys table, `service up -deps`). When one of them comes back
 * from a restart with a new endpoint, each dependent's policy decides:
 * one_for_one, nothing but the notice it gets from DS (where RS has just
 * published the new endpoint); rest_for_one, RS restarts it too, so it
 * starts over against the new instance. A dependency restarted at the
 * `dependents` stage of its escalation chain takes every dependent with
 * it, whatever its policy. Each decision is an event. */
#include "rs.h"

/* Does rp name label among its dependencies? */
static int depends_on(const struct rproc *rp, const char *label)
{
    size_t n = strlen(label);
    for (const char *p = rp->sup.deps; *p; ) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if ((size_t)(end - p) == n && !strncmp(p, label, n)) return 1;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* rp has finished its init after a restart (or a refresh): if its
 * endpoint changed, or its escalation asks for it, decide for each
 * service that depends on it. */
void deps_after_restart(struct rproc *rp)
{
    int all = rp->sup.dependents;
    int origin = rp->sup.dep_origin >= 0 ? rp->sup.dep_origin : (int)(rp - rproc);
    rp->sup.dependents = 0;
    rp->sup.dep_origin = -1;
    if (!all && rp->old_ep == rp->pub.endpoint) return;     /* same process: nothing changed */
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *d = &rproc[i];
        if (d == rp || !(d->pub.flags & RSF_IN_USE) || !depends_on(d, rp->pub.label)) continue;
        const char *policy = all ? "escalate" :
            d->sup.dep_policy == RS_DEP_REST_FOR_ONE ? "rest_for_one" : "one_for_one";
        const char *action;
        if (!all && d->sup.dep_policy == RS_DEP_ONE_FOR_ONE) action = "notice";
        else if (i == origin) action = "skip-cycle";     /* it started this: do not loop */
        else if (d->tab->sys_flags & SF_NORESTART) action = "skip-norestart";
        else if (!(d->pub.flags & RSF_ACTIVE) || (d->flags & (RP_LU_PREPARE | RP_RESTART_DUE)))
            action = "skip-busy";    /* starting, restarting or updating: it binds anew anyway */
        else action = "restart";
        event("ev=dep_restart label=%s because=%s policy=%s action=%s ep=%d dep_ep=%d",
              d->pub.label, rp->pub.label, policy, action, d->pub.endpoint, rp->pub.endpoint);
        if (strcmp(action, "restart")) continue;
        /* not the dependent's failure: no strike against its intensity */
        d->sup.dep_origin = origin;
        restart_now(d);
    }
}
