/* lifecycle.c - starting, restarting and stopping service instances, and
 * what RS does when one dies, hangs or finishes its init. */
#include "../../lib/common/format.h"
#include "rs.h"
#include "outbox.h"
#include "../../include/layout.h"

/* kept across RS's own restart (os/kernel/guardian.c, recover.c) */
struct rproc rproc[NR_SERVICES] __attribute__((section(".keep")));
uint32_t rs_kept_magic __attribute__((section(".keep")));
uint32_t now;
/* for the host debugger: entry size, entries, offset of the public part */
const uint32_t rproc_layout[3] __attribute__((used)) = {
    sizeof(struct rproc), NR_SERVICES, __builtin_offsetof(struct rproc, pub) };

void rs_panic(const char *why, const char *who)
{
    printf("RS PANIC: %s: %s\n", why, who);
    char q[120];
    event("ev=panic reason=%s proc=%s", ev_quote(q, sizeof q, why), who);
    sys_abort(ABORT_PANIC);
}

/* Is ep blocked in a request to RS whose answer comes later? Anything RS
 * sent it now would be taken for that answer, so RS holds it back. */
int waiting_on_rs(int ep)
{
    for (int i = 0; i < NR_SERVICES; i++)
        if ((rproc[i].pub.flags & RSF_IN_USE) && rproc[i].caller == ep) return 1;
    return ep != NONE && lu_batch_caller() == ep;
}

struct rproc *rp_by_ep(int ep)
{
    for (int i = 0; i < NR_SERVICES; i++)
        if ((rproc[i].pub.flags & RSF_IN_USE) && rproc[i].pub.endpoint == ep) return &rproc[i];
    return 0;
}

struct rproc *rp_by_label(const char *label)
{
    for (int i = 0; i < NR_SERVICES; i++)
        if ((rproc[i].pub.flags & RSF_IN_USE) && !strcmp(rproc[i].pub.label, label)) return &rproc[i];
    return 0;
}

struct rproc *rp_alloc(const struct rs_priv_entry *e)
{
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (rp->pub.flags & RSF_IN_USE) continue;
        memset(rp, 0, sizeof *rp);
        rp->tab = e;
        strlcpy(rp->pub.label, e->label, LABEL_MAX);
        rp->pub.flags = RSF_IN_USE;
        rp->pub.endpoint = NONE;
        rp->pub.pid = -1;
        rp->pub.vm_calls = e->vm_calls;
        rp->pid_ep = NONE;
        rp->proc_nr = -1;
        rp->caller = NONE;
        rp->next_img = -1;
        rp->lu_ep = NONE;
        sup_from_table(&rp->sup, e);
        return rp;
    }
    return 0;
}

static void rp_free(struct rproc *rp)
{
    rp->pub.flags = 0;
    rp->flags = 0;
}

/* Send mask: "*" is everyone, user processes (their two shared privs)
 * included, so they may call the service; otherwise the current priv ids
 * of the named services. The kernel grants symmetrically, so targets can
 * answer and user processes can reach a "*" service again after it was
 * restarted with a fresh priv. */
static uint64_t ipc_mask(const char *ipc)
{
    if (!strcmp(ipc, "*")) return ~0ull;
    uint64_t mask = 0;
    char word[LABEL_MAX];
    while (*ipc) {
        while (*ipc == ' ') ipc++;
        int n = 0;
        while (*ipc && *ipc != ' ') { if (n < LABEL_MAX - 1) word[n++] = *ipc; ipc++; }
        word[n] = 0;
        struct rproc *t = n ? rp_by_label(word) : 0;
        if (!strcmp(word, "rs")) mask |= 1ull << static_priv_id(RS_PROC_NR);
        else if (t && t->pub.endpoint != NONE) {
            priv_spec_t ps;
            if (sys_getinfo(GET_PRIV, &ps, sizeof ps, t->pub.endpoint, 0) == OK)
                mask |= 1ull << ps.id;
            else if (t->proc_nr >= 0 && t->proc_nr < NR_BOOT_PROCS)
                mask |= 1ull << static_priv_id(t->proc_nr);
        }
    }
    return mask;
}

int rp_spec(struct rproc *rp, priv_spec_t *s, int slot)
{
    const struct rs_priv_entry *e = rp->tab;
    memset(s, 0, sizeof *s);
    if (slot >= 0 && slot < NR_BOOT_PROCS) s->id = static_priv_id(slot);
    else { s->id = NULL_PRIV_ID; s->flags |= PF_DYN_PRIV_ID; }
    s->flags |= e->flags;
    s->trap_mask = e->trap_mask;
    s->ipc_to = ipc_mask(e->ipc);
    s->k_calls = e->k_calls;
    s->sig_mgr = RS_PROC_EP;
    s->priority = e->priority;
    s->quantum = e->quantum;
    return OK;
}

/* Give a loaded (NO_PRIV) process its privileges, tell VM and PM (which
 * answers with its pid). */
static int configure(struct rproc *rp, int ep)
{
    int r;
    if (rp->tab->sys_flags & SF_USER) {
        r = sys_privctl(ep, PRIV_SET_USER, 0);
    } else {
        priv_spec_t s;
        rp_spec(rp, &s, EP_SLOT(ep));
        r = sys_privctl(ep, PRIV_SET_SYS, &s);
    }
    if (r != OK) return r;
    /* a running VM learns the mask now; a VM that starts later finds it
     * in its init data (the public table) */
    message vm = { .m_type = VM_SET_MASK };
    vm.m.i[0] = ep;
    vm.m.u[1] = rp->pub.vm_calls;
    outbox_post(VM_PROC_EP, &vm);
    pm_started(rp, ep);
    return OK;
}

static void begin_init(struct rproc *rp, int type)
{
    rp->init_type = type;
    rp->pub.flags &= ~RSF_ACTIVE;
    rp->flags &= ~(RP_PINGED | RP_STOPPED);
    if (rp->tab->sys_flags & SF_NOSEF) {
        init_done(rp, OK, 0);
        return;
    }
    rp->flags |= RP_INITIALIZING;
    rp->init_deadline = now + INIT_TIMEOUT;
}

/* A fresh process for rp in its old slot (new generation), or any slot. */
int start_instance(struct rproc *rp, int type)
{
    const uint8_t *img;
    uint32_t len;
    int r, child;
    if ((r = image_get(rp->img, &img, &len)) != OK) return r;
    if ((r = sys_fork(SELF, rp->proc_nr, FORK_BLANK, &child)) != OK) return r;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s%s%s", rp->pub.label, rp->args[0] ? " " : "", rp->args);
    if ((r = sys_exec(child, img, len, cmd)) != OK || (r = configure(rp, child)) != OK) {
        sys_exit_proc(child);
        return r;
    }
    rp->old_ep = rp->pub.endpoint;
    rp->pub.endpoint = child;
    rp->proc_nr = EP_SLOT(child);
    event("ev=start label=%s ep=%d slot=%d type=%d", rp->pub.label, child, rp->proc_nr, type);
    begin_init(rp, type);
    return sys_privctl(child, PRIV_ALLOW, 0);
}

/* The label, and for a driver its device's name (the dev table), name
 * this instance in DS. */
void publish(struct rproc *rp)
{
    message m = { .m_type = DS_PUBLISH };
    strlcpy(m.DS_LABEL, rp->pub.label, LABEL_MAX);
    m.DS_ENDPT = rp->pub.endpoint;
    outbox_post(DS_PROC_EP, &m);
    if (rp->tab->dev) {
        message d = { .m_type = DS_PUBLISH };
        snprintf(d.DS_LABEL, LABEL_MAX, "dev.%s", rp->tab->dev->dev);
        d.DS_ENDPT = rp->pub.endpoint;
        outbox_post(DS_PROC_EP, &d);
    }
}

void reply_caller(struct rproc *rp, int result)
{
    if (rp->caller == NONE) return;
    message m = { .m_type = result };
    ipc_sendnb(rp->caller, &m);
    rp->caller = NONE;
}

/* PM keeps the process tree, and only RS knows when a service instance
 * ends: every path that ends one (or finds it gone) tells PM, or `ps`
 * would go on listing the dead instance beside its successor. */
void pm_forget(int ep)
{
    message pm = { .m_type = PM_SRV_EXIT };
    pm.PM_PID = ep;
    outbox_post(PM_PROC_EP, &pm);
}

/* End rp's current instance: the kernel process, then PM's entry. */
void end_instance(struct rproc *rp)
{
    if (rp->pub.endpoint == NONE) return;
    sys_exit_proc(rp->pub.endpoint);
    pm_ended(rp);
}

/* result: what a caller waiting on this service is told (OK for a
 * requested stop; the init's own failure code otherwise) */
void bring_down(struct rproc *rp, const char *why, int result)
{
    end_instance(rp);
    message m = { .m_type = DS_DELETE };
    strlcpy(m.DS_LABEL, rp->pub.label, LABEL_MAX);
    outbox_post(DS_PROC_EP, &m);
    if (rp->tab->dev) {
        snprintf(m.DS_LABEL, LABEL_MAX, "dev.%s", rp->tab->dev->dev);
        outbox_post(DS_PROC_EP, &m);
    }
    event("ev=down label=%s ep=%d why=%s result=%d", rp->pub.label, rp->pub.endpoint, why, result);
    reply_caller(rp, result);
    rp_free(rp);
}

/* What a caller still waiting on rp is told when rp fails for cause:
 * the codes a failed init gives (init_done) */
static int cause_error(const char *cause)
{
    if (!strcmp(cause, "hang")) return ETIMEDOUT;
    if (!strcmp(cause, "exit")) return EINTR;
    if (!strcmp(cause, "crash")) return EFAULT;
    return EAGAIN;                       /* restart-failed: the instance did not start */
}

/* A failure: the stage its escalation chain is at decides (intensity.c):
 * a restart after the stage's backoff, pristine or not, or giving up. */
static void schedule_restart(struct rproc *rp, const char *cause)
{
    /* whoever waits on this instance (up, restart, refresh, update) hears
     * of the failure now: the next instance's init must not answer it OK */
    reply_caller(rp, cause_error(cause));
    if (rp->tab->sys_flags & SF_NORESTART) {
        end_instance(rp);
        event("ev=reaped label=%s cause=%s", rp->pub.label, cause);
        rp_free(rp);
        return;
    }
    uint32_t delay;
    int stage = sup_on_failure(rp, cause, &delay);
    if (stage == STAGE_GIVEUP) {
        end_instance(rp);
        rp->pub.endpoint = NONE;
        rp->pub.flags = (rp->pub.flags | RSF_GIVEN_UP) & ~RSF_ACTIVE;
        rp->flags = 0;
        event("ev=given_up label=%s restarts=%d cause=%s", rp->pub.label, rp->pub.restarts, cause);
        if (rp->tab->sys_flags & SF_CORE) rs_panic("core service keeps failing", rp->pub.label);
        return;
    }
    rp->sup.pristine = stage != STAGE_RESTART;
    rp->sup.dependents = stage == STAGE_DEPENDENTS;
    if (rp->pub.policy == RS_POLICY_RESET || rp->sup.pristine) {
        end_instance(rp);                 /* old endpoint dead at once */
    }
    rp->flags = (rp->flags & RP_DYNAMIC) | RP_RESTART_DUE | RP_STOPPED;
    rp->pub.flags &= ~RSF_ACTIVE;
    rp->restart_at = now + delay;
    event("ev=restart_scheduled label=%s cause=%s delay=%u streak=%d stage=%s", rp->pub.label,
          cause, delay, sup_strikes(rp), stage_name(stage));
    if (delay == 0) do_restart(rp);      /* first failure of a stage: at once */
}

/* How a restarted instance is told to start. RS_TEST_FORGET_STATE builds a
 * deliberately broken RS (only into a build directory of its own, by the
 * regression gate's test, tests/test_compare_gate.py): every restart is
 * announced as a fresh start, so no service gets its state back, and the
 * comparison with a good build must fail naming the services that lost it. */
#ifdef RS_TEST_FORGET_STATE
#define INIT_AFTER_FAILURE SEF_INIT_FRESH
#else
#define INIT_AFTER_FAILURE SEF_INIT_RESTART
#endif

void do_restart(struct rproc *rp)
{
    rp->flags &= ~RP_RESTART_DUE;
    if (!resources_ok(rp, rp->img, "restart")) {
        /* waiting would not make memory appear: a core service cannot be
         * done without, any other goes down and says why */
        if (rp->tab->sys_flags & SF_CORE) rs_panic("not enough memory to restart core service", rp->pub.label);
        bring_down(rp, "no-resources", ENOMEM);
        return;
    }
    rp->pub.restarts++;
    int old = rp->pub.endpoint, r;
    int pristine = rp->sup.pristine;     /* escalated: nothing of the old instance */
    rp->sup.pristine = 0;
    if (!pristine && rp->pub.policy == RS_POLICY_RESTART && old != NONE) {
        /* same endpoint: a fresh image in the stopped process */
        const uint8_t *img; uint32_t len;
        char cmd[64];
        snprintf(cmd, sizeof cmd, "%s%s%s", rp->pub.label, rp->args[0] ? " " : "", rp->args);
        r = image_get(rp->img, &img, &len);
        if (r == OK) r = sys_exec(old, img, len, cmd);
        if (r == OK) {
            rp->old_ep = old;
            begin_init(rp, INIT_AFTER_FAILURE);
            r = sys_stop(old, 0);
        } else if (r == EDEADSRCDST || r == ESRCH) {
            /* the old process is gone: nothing to restart in place, so a
             * fresh instance (new endpoint) instead of retrying forever */
            event("ev=restart_fresh label=%s old_ep=%d why=%d", rp->pub.label, old, r);
            pm_ended(rp);                /* PM forgets the old process too */
            rp->pub.endpoint = NONE;
            r = start_instance(rp, INIT_AFTER_FAILURE);
            rp->old_ep = old;
        }
    } else {
        rp->pub.endpoint = NONE;
        r = start_instance(rp, pristine ? SEF_INIT_FRESH : INIT_AFTER_FAILURE);
        rp->old_ep = old;
    }
    event("ev=restarted label=%s ep=%d old_ep=%d restarts=%d policy=%s result=%d init=%s",
          rp->pub.label, rp->pub.endpoint, old, rp->pub.restarts,
          rp->pub.policy == RS_POLICY_RESET ? "reset" : "restart", r,
          pristine ? "fresh" : "restart");
    if (r != OK) {
        reply_caller(rp, r);             /* a requested restart that did not start */
        schedule_restart(rp, "restart-failed");
    }
}

/* A restart someone asked for (`service restart`, a dependency's): the
 * old instance stops now, no strike against the intensity. */
void restart_now(struct rproc *rp)
{
    if (rp->pub.policy == RS_POLICY_RESET) end_instance(rp);
    else sys_stop(rp->pub.endpoint, 1);
    do_restart(rp);
}

void service_died(struct rproc *rp, uint32_t sigmap)
{
    int exited = (sigmap & SIGBIT(SIGEXIT)) != 0;
    event("ev=died label=%s ep=%d sigmap=0x%x how=%s", rp->pub.label, rp->pub.endpoint, sigmap,
          exited ? "exit" : "signal");
    rp->flags |= RP_STOPPED;
    if (rp->flags & RP_INITIALIZING) {
        init_done(rp, exited ? EINTR : EFAULT, exited ? "exited-in-init" : "crashed-in-init");
        return;
    }
    if (lu_failed_while_preparing(rp, exited ? "exit" : "crash")) return;
    schedule_restart(rp, exited ? "exit" : "crash");
}

void service_hung(struct rproc *rp)
{
    event("ev=ping_missed label=%s ep=%d since=%u", rp->pub.label, rp->pub.endpoint,
          now - rp->ping_sent);
    service_unresponsive(rp, "hang");
}

/* It does not answer: a missed heartbeat, or a request it took and never
 * answered (complain.c). */
void service_unresponsive(struct rproc *rp, const char *cause)
{
    if (rp->pub.policy == RS_POLICY_RESTART) sys_stop(rp->pub.endpoint, 1);
    event("ev=killed label=%s ep=%d", rp->pub.label, rp->pub.endpoint);
    if (lu_failed_while_preparing(rp, cause)) return;
    schedule_restart(rp, cause);
}

void init_done(struct rproc *rp, int result, const char *why)
{
    static const char *types[] = { "fresh", "lu", "restart" };
    /* an update's new version: the LU init type alone is not enough, the
     * update must be under way (lu_ready set RP_LU_INIT) */
    int lu = rp->init_type == SEF_INIT_LU && (rp->flags & RP_LU_INIT);
    rp->flags &= ~(RP_INITIALIZING | RP_LU_INIT);
    if (!(rp->tab->sys_flags & SF_NOSEF))
        event("ev=init_result label=%s ep=%d type=%s result=%d", rp->pub.label,
              rp->pub.endpoint, types[rp->init_type], result);
    if (result == OK) {
        rp->pub.flags |= RSF_ACTIVE;
        rp->pub.flags &= ~RSF_UPDATING;
        rp->up_since = now;
        rp->next_ping = now + (uint32_t)rp->pub.period;
        /* after an update too, though the endpoint is the same: a DS
         * restarted meanwhile named no endpoint for a service in its init */
        if (!(rp->tab->sys_flags & SF_NOSEF)) publish(rp);
        if (lu && (rp->flags & RP_LU_BATCH)) {
            /* serves now (others' inits may call it); ends or goes back
             * with the whole batch */
            rp->pub.flags |= RSF_UPDATING;
            lu_batch_init_ok(rp);
            return;
        }
        if (lu) lu_commit(rp);
        else if (rp->pub.restarts > 0)
            deps_after_restart(rp);      /* back: what its dependents are to do */
        reply_caller(rp, OK);
        return;
    }
    if (!why) why = "init-failed";
    /* the old version comes back as it was: no restart, no strike */
    if (lu && (rp->flags & RP_LU_BATCH)) {
        if (lu_batch_fail(rp, result, why)) return;
    } else if (lu && lu_rollback(rp, result, why)) return;
    if (booting && (rp->pub.flags & RSF_BOOT))
        rs_panic("boot service failed to initialize", rp->pub.label);
    if ((rp->flags & RP_DYNAMIC) && rp->init_type == SEF_INIT_FRESH && rp->pub.restarts == 0) {
        /* a new service's init is its first ping: failure means down */
        /* the caller learns why: the init's own code, ETIMEDOUT for a
         * silent init, EFAULT for one that crashed, EINTR if it exited */
        bring_down(rp, "init-failed", result);
        return;
    }
    /* whoever waits (update, restart, refresh) learns the init's own
     * failure; the restart that follows answers nobody (an update whose
     * old version could not be put back restarts the old image here) */
    reply_caller(rp, result);
    rp->flags |= RP_STOPPED;
    if (rp->pub.policy == RS_POLICY_RESTART) sys_stop(rp->pub.endpoint, 1);
    schedule_restart(rp, "init-failed");
}
