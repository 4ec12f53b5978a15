/* request.c - requests to RS: the init protocol and live-update replies
 * from services, the public table, and the `service` commands. */
#include "rs.h"
#include "outbox.h"
#include "../gcov_hook.h"
#include "../../lib/common/evlimit.h"

static int label_ok(const char *l)
{
    for (int i = 0; i < LABEL_MAX; i++) if (!l[i]) return i > 0;
    return 0;
}

/* RS's refusals, summarised when they come in a flood (evlimit.h) */
static struct evlimit refusals;

int rs_refusal_shown(void)
{
    return event_pass(&refusals, "rs_refused");
}

void rs_refusals_flush(void)
{
    event_flush(&refusals, "rs_refused");
}

static void reply(int dst, message *m, int result)
{
    m->m_type = result;
    ipc_sendnb(dst, m);     /* the caller waits in sendrec: never blocks */
}

/* The answer carries the init type and who the service is; its buffer gets
 * the public table (pubtab.c). A buffer RS cannot write is the service's
 * fault: it is told EFAULT, and its init never finishes. */
static void do_hello(struct rproc *rp, message *m)
{
    if (!rp || !(rp->flags & RP_INITIALIZING)) { reply(m->m_source, m, EPERM); return; }
    uint32_t sum;
    int n = pub_copy_out(m->m_source, m->INIT_PUB_ADDR, m->INIT_PUB_LEN, &sum);
    if (n < 0) {
        event("ev=init_data_failed label=%s ep=%d err=%d", rp->pub.label, m->m_source, n);
        reply(m->m_source, m, EFAULT);
        return;
    }
    memset(&m->m, 0, sizeof m->m);
    m->INIT_TYPE = rp->init_type;
    m->INIT_FLAGS = rp->dbg_flags;
    m->INIT_RESTARTS = rp->pub.restarts;
    m->INIT_OLD_EP = rp->old_ep;
    strlcpy(m->INIT_LABEL, rp->pub.label, LABEL_MAX);
    m->INIT_PUB_COUNT = n;
    m->INIT_PUB_SUM = sum;
    rp->dbg_flags = 0;           /* debug behaviour is for one init only */
    reply(m->m_source, m, OK);
}

static void do_getpub(message *m)
{
    int i = m->PUB_INDEX, src = m->m_source;
    if (i < 0 || i >= NR_SERVICES) { reply(src, m, EINVAL); return; }
    struct rprocpub *p = &rproc[i].pub;
    memset(&m->m, 0, sizeof m->m);
    m->PUB_INDEX = i;
    m->PUB_ENDPOINT = p->endpoint;
    m->PUB_FLAGS = p->flags;
    m->PUB_RESTARTS = p->restarts;
    m->PUB_PERIOD = p->period;
    m->PUB_POLICY = p->policy;
    m->PUB_PID = p->pid;
    m->PUB_VM_CALLS = p->vm_calls;
    strlcpy(m->PUB_LABEL, p->label, LABEL_MAX);
    reply(src, m, OK);
}

/* The supervision settings of a new service: its table row, then what
 * the caller's options buffer asks (rsopts.h), all checked before
 * anything starts. */
static int up_settings(message *m, const struct rs_priv_entry *e, struct rs_sup *s)
{
    sup_from_table(s, e);
    if (m->SRV_OPTS_LEN == 0) return OK;
    static struct rs_up_opts o;
    if (m->SRV_OPTS_LEN != sizeof o) return EINVAL;
    if (sys_vircopy(m->m_source, m->SRV_OPTS_ADDR, SELF, (uint32_t)&o, sizeof o) != OK)
        return EFAULT;
    return sup_apply_opts(s, &o, e->label);
}

static int do_up(message *m)
{
    const char *label = m->SRV_LABEL;
    if (rp_by_label(label)) return EBUSY;
    const struct rs_priv_entry *e = rs_priv_lookup(label);
    if (!e || (e->sys_flags & SF_USER)) return ENOENT;
    static struct rs_sup sup;
    int r = up_settings(m, e, &sup);
    if (r != OK) {
        event("ev=up_refused label=%s reason=options result=%d", label, r);
        return r;
    }
    int img = image_load(label);
    if (img < 0) return img;
    struct rproc probe = { .pub = { .endpoint = NONE } };
    strlcpy(probe.pub.label, label, LABEL_MAX);
    if (!resources_ok(&probe, img, "up")) return ENOMEM;      /* nothing started */
    struct rproc *rp = rp_alloc(e);
    if (!rp) return ENOSPC;
    rp->img = img;
    rp->sup = sup;
    rp->flags |= RP_DYNAMIC;
    rp->pub.policy = m->SRV_POLICY >= 0 ? m->SRV_POLICY : e->policy;
    rp->pub.period = m->SRV_PERIOD > 0 ? m->SRV_PERIOD : m->SRV_PERIOD < 0 ? 0 : def_period;
    rp->period_dflt = m->SRV_PERIOD == 0;
    rp->dbg_flags = m->SRV_DBG;
    m->SRV_ARGS[SRV_ARGS_MAX - 1] = 0;
    strlcpy(rp->args, m->SRV_ARGS, sizeof rp->args);
    rp->caller = m->m_source;
    event("ev=service_up label=%s period=%d policy=%s dbg=%d", label, rp->pub.period,
          rp->pub.policy == RS_POLICY_RESET ? "reset" : "restart", rp->dbg_flags);
    r = start_instance(rp, SEF_INIT_FRESH);
    if (r != OK) { rp->caller = NONE; bring_down(rp, "start-failed", r); return r; }
    return EDONTREPLY;           /* answered when init is done */
}

static int do_service(message *m)
{
    if (m->m_type == RS_UP) return do_up(m);
    if (m->m_type == RS_LIST) {
        /* a user's list is printed on the user's output budget (a service
         * caller pays nothing): asking in a loop cannot flood the console */
        diag_charge(m->m_source);
        for (int i = 0; i < NR_SERVICES; i++) {
            struct rprocpub *p = &rproc[i].pub;
            if (!(p->flags & RSF_IN_USE)) continue;
            const struct rs_dev *d = rproc[i].tab ? rproc[i].tab->dev : 0;
            char sup[200];
            sup_describe(&rproc[i], sup, sizeof sup);
            event("ev=service label=%s ep=%d pid=%d restarts=%d flags=0x%x policy=%s period=%d vm=0x%x"
                  " dev=%s %s", p->label, p->endpoint, p->pid, p->restarts, p->flags,
                  p->policy == RS_POLICY_RESET ? "reset" : "restart", p->period, p->vm_calls,
                  d ? d->dev : "-", sup);
        }
        diag_charge(0);
        return OK;
    }
    struct rproc *rp = rp_by_label(m->SRV_LABEL);
    if (!rp) return ESRCH;
    if (rp->tab->sys_flags & SF_SELF) {
        if (m->m_type == RS_UPDATE && (m->SRV_LU_FLAGS & RS_LU_QUEUE)) {
            /* RS replaces itself on its own path (selfupdate.c), which
             * cannot be undone with the others of a batch */
            if (rs_refusal_shown()) event("ev=rs_refused req=queue label=%s by=%d", rp->pub.label, m->m_source);
            return EPERM;
        }
        if (m->m_type == RS_UPDATE) {
            /* answered by the new RS once it has taken over (selfupdate.c) */
            int r = self_update_request(rp, m);
            return r;
        }
        if (rs_refusal_shown()) event("ev=rs_refused req=self label=%s by=%d", rp->pub.label, m->m_source);
        return EPERM;                    /* RS does not stop or restart itself on request */
    }
    switch (m->m_type) {
    case RS_DOWN:
        if (rp->pub.flags & RSF_BOOT && rp->tab->sys_flags & SF_CORE) return EPERM;
        /* a batch is all or nothing: not cut short for one member */
        if (rp->flags & RP_LU_BATCH) return EBUSY;
        /* one waiting for an update, up, restart of it hears it was cut
         * short (EINTR); OK is only for the one who asked for the stop */
        lu_cancel(rp, "down", EINTR);
        reply_caller(rp, EINTR);
        bring_down(rp, "down", OK);
        return OK;
    case RS_RESTART:
    case RS_REFRESH: {
        if (!(rp->pub.flags & RSF_ACTIVE)) return EBUSY;
        /* someone waits on it (an update being prepared): one at a time */
        if (rp->caller != NONE || lu_pending(rp)) return EBUSY;
        if (m->m_type == RS_RESTART) event("ev=service_restart label=%s", rp->pub.label);
        else event("ev=service_refresh label=%s", rp->pub.label);
        /* Answered once the new instance serves (init_done) or has failed,
         * as `service up` is; a service restarting itself is not answered:
         * the reply would land in its successor. */
        int self = rp->pub.endpoint == m->m_source;
        if (!self) rp->caller = m->m_source;
        rp->dbg_flags = m->SRV_DBG;      /* for the new instance's init */
        restart_now(rp);
        if (m->m_type == RS_REFRESH && (rp->flags & RP_INITIALIZING))
            rp->init_type = SEF_INIT_FRESH;      /* a clean start, no state */
        return EDONTREPLY;
    }
    case RS_UPDATE: {
        /* one update at a time, checked before anything is loaded */
        if (lu_pending_any() || rp->caller != NONE) return EBUSY;
        int img = rp->img;
        m->SRV_ARGS[SRV_ARGS_MAX - 1] = 0;
        if (m->SRV_ARGS[0] && !rs_binary_allowed(rp->tab, m->SRV_ARGS)) {
            char q[2 * SRV_ARGS_MAX + 3];      /* the requester's bytes, quoted */
            event("ev=update_refused label=%s binary=%s reason=not-registered", rp->pub.label,
                  ev_quote(q, sizeof q, m->SRV_ARGS));
            return EPERM;
        }
        if (m->SRV_ARGS[0] && (img = image_load(m->SRV_ARGS)) < 0) return img;
        if (!resources_ok(rp, img, "update")) return ENOMEM;   /* nothing stopped */
        if (m->SRV_ARGS[0] && !image_provides(img, rp->pub.label)) {
            char q[2 * SRV_ARGS_MAX + 3];
            event("ev=update_refused label=%s binary=%s reason=does-not-provide", rp->pub.label,
                  ev_quote(q, sizeof q, m->SRV_ARGS));
            return ENOEXEC;
        }
        if (m->SRV_LU_FLAGS & RS_LU_QUEUE) {
            /* checked as an update is, run later with the batch; a batch
             * member only prepares to be replaced, so no -o in it */
            if (m->SRV_LU_FLAGS & ~RS_LU_QUEUE) return EINVAL;
            return lu_queue(rp, m->SRV_STATE, m->SRV_MAXTIME, img, m->SRV_DBG);
        }
        /* The caller waits for the outcome, unless it is the service being
         * updated: that one must be free to reach its prepare state (and
         * anything RS sent it now would look like the answer). */
        int self = rp->pub.endpoint == m->m_source;
        if (rp->caller != NONE) return EBUSY;       /* someone waits on it already */
        if (!self) rp->caller = m->m_source;
        int r = start_update(rp, m->SRV_STATE, m->SRV_MAXTIME, img, m->SRV_LU_FLAGS);
        if (r != OK) { rp->caller = NONE; return r; }
        rp->dbg_flags = m->SRV_DBG;      /* for the new version's init */
        return self ? OK : EDONTREPLY;
    }
    default:
        return ENOSYS;
    }
}

/* `gcov`: the kernel, RS and every running SEF service dump coverage. */
static void do_gcov_all(void)
{
    int asked = 0;
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (!(rp->pub.flags & RSF_ACTIVE) || (rp->tab->sys_flags & SF_NOSEF)) continue;
        message d = { .m_type = RS_GCOV_DUMP };
        outbox_post(rp->pub.endpoint, &d);
        asked++;
    }
    event("ev=gcov_request services=%d", asked);
    rs_gcov_dump_self();
}

static const char *req_name(int type)
{
    switch (type) {
    case RS_UP: return "up";
    case RS_DOWN: return "down";
    case RS_RESTART: return "restart";
    case RS_REFRESH: return "refresh";
    case RS_UPDATE: return "update";
    case RS_SYSCTL: return "sysctl";
    case RS_GCOV: return "gcov";
    default: return "?";
    }
}

/* Who may command RS: a process RS started with the service-manager right
 * (the shell's `service`, the scenario driver); besides, a service may ask
 * for its own live update. Everyone else is refused, and it is recorded:
 * a user program must not restart, stop or replace services. */
static int may_command(const struct rproc *caller, const message *m)
{
    if (caller && (caller->tab->sys_flags & SF_SVC_MGR)) return 1;
    if (caller && m->m_type == RS_UPDATE && !strncmp(caller->pub.label, m->SRV_LABEL, LABEL_MAX))
        return 1;
    return 0;
}

void do_request(message *m)
{
    struct rproc *rp = rp_by_ep(m->m_source);
    int src = m->m_source, r;
    switch (m->m_type) {
    case RS_INIT_HELLO: do_hello(rp, m); return;
    case RS_INIT_RESULT:
        if (!rp || !(rp->flags & RP_INITIALIZING)) { reply(src, m, EPERM); return; }
        r = m->INIT_RESULT;
        reply(src, m, OK);
        init_done(rp, r, 0);
        return;
    case RS_LU_READY:
        if (!rp) { reply(src, m, EPERM); return; }
        lu_ready(rp, m);
        return;
    case RS_GETPUB: do_getpub(m); return;
    case RS_COMPLAIN: reply(src, m, do_complain(rp, m)); return;
    case RS_SRV_PID: pid_answer(m); return;
    case RS_GCOV: {
        if (!may_command(rp, m)) {
            if (rs_refusal_shown()) event("ev=rs_refused req=gcov by=%d", src);
            reply(src, m, EPERM);
            return;
        }
        message k = { .m_type = SYS_GCOV };
        r = kernel_call(&k);               /* ENOSYS: no coverage build */
        reply(src, m, r);                  /* answer first: see waiting_on_rs */
        if (r == OK) do_gcov_all();
        return;
    }
    case RS_SYSCTL:
        if (!may_command(rp, m)) {
            if (rs_refusal_shown()) event("ev=rs_refused req=sysctl label=- by=%d", src);
            reply(src, m, EPERM);
            return;
        }
        switch (m->SYSCTL_OP) {
        case RS_SYSCTL_UPD_RUN: r = lu_batch_run(src); break;
        case RS_SYSCTL_UPD_STOP: r = lu_batch_stop(); break;
        case RS_SYSCTL_UPD_STATUS: lu_batch_status(); r = OK; break;
        case RS_SYSCTL_PERIOD: r = set_default_period(m->SYSCTL_ARG); break;
        default: r = EINVAL;
        }
        if (r != EDONTREPLY) reply(src, m, r);
        return;
    case RS_UP: case RS_DOWN: case RS_RESTART: case RS_REFRESH: case RS_UPDATE: case RS_LIST:
        if (m->m_type != RS_LIST && !label_ok(m->SRV_LABEL)) { reply(src, m, EINVAL); return; }
        if (m->m_type != RS_LIST && !may_command(rp, m)) {
            /* the label is the requester's bytes: quoted, so a `"` or a
             * `req=list` in it stays inside the label field */
            char q[2 * LABEL_MAX + 3];
            if (rs_refusal_shown())
                event("ev=rs_refused req=%s label=%s by=%d", req_name(m->m_type),
                      ev_quote(q, sizeof q, m->SRV_LABEL), src);
            reply(src, m, EPERM);
            return;
        }
        r = do_service(m);
        if (r != EDONTREPLY) reply(src, m, r);
        return;
    default:
        /* Unknown: answer, non-blocking, so a client in sendrec is not left
         * waiting. A service's answer to something RS sent (m_type <= 0)
         * lands here too and gets no reply. */
        if (m->m_type > 0) reply(src, m, ENOSYS);
        else if (!rp) reply(src, m, EINVAL);
    }
}
