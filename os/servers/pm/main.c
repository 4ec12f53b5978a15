/* main.c - PM, the process manager: keeps the process tree (INIT pid 0,
 * RS pid 1, services under RS, user processes under whoever started them),
 * starts and reaps user processes and answers wait and kill. The services
 * come from RS (services.c); PM tells RS their pids. */
#include "pm.h"
#include "../../lib/common/evlimit.h"

int pm_try_wait(struct pmproc *parent, int pid);

static int init_fresh(int type, const struct sef_init_info *info)
{
    (void)type;
    pm_add(PK_ROOT, MAKE_EP(0, INIT_PROC_NR), -1, "init");   /* pid 0 */
    pm_add(PK_SERVICE, RS_PROC_EP, 0, "rs");                 /* pid 1 */
    pm_sync_services(info);                  /* the boot services, in RS's order */
    return OK;
}

static void print_tree(void)
{
    static const char *kinds[] = { "?", "root", "service", "user" };
    for (int i = 0; i < NR_PM_PROCS; i++) {
        struct pmproc *p = &pmtab[i];
        if (!p->in_use || p->zombie) continue;
        event("ev=proc pid=%d ppid=%d name=%s ep=%d kind=%s", p->pid, p->ppid, p->name,
              p->ep, kinds[p->kind]);
    }
}

/* A user process may signal only its own descendants; services (the
 * shell's `kill`) any user process. Orphans handed to INIT keep their
 * tree, so a bomb's root cannot reach them through INIT either. */
static int may_signal(const struct pmproc *caller, const struct pmproc *p)
{
    if (!caller) return 0;
    if (caller->kind == PK_SERVICE) return 1;
    for (int hops = 0, pid = p->ppid; pid > 0 && hops < NR_PM_PROCS; hops++) {
        if (pid == caller->pid) return 1;
        const struct pmproc *q = pm_by_pid(pid);
        if (!q) break;
        pid = q->ppid;
    }
    return 0;
}

static int handle(message *m, struct pmproc *caller)
{
    switch (m->m_type) {
    case PM_SRV_START: return pm_srv_start(m);
    case PM_SRV_EXIT:  return pm_srv_exit(m);
    case PM_SPAWN:
        m->PM_NAME[LABEL_MAX - 1] = 0;
        m->PM_ARGS[PM_ARGS_MAX - 1] = 0;
        return pm_spawn(caller, m->m_source, m->PM_NAME, m->PM_ARGS);
    case PM_GETPID:
        return caller ? caller->pid : ESRCH;
    case PM_WAIT:
        if (!caller) return ESRCH;
        caller->wait_for = m->PM_PID;
        pm_try_wait(caller, m->PM_PID);      /* or answered when a child ends */
        return EDONTREPLY;
    case PM_KILL: {
        struct pmproc *p = pm_by_pid(m->PM_PID);
        if (!p || p->zombie) return ESRCH;
        if (p->kind != PK_USER) return EPERM;   /* services belong to RS */
        if (!may_signal(caller, p)) {
            static struct evlimit refusals;     /* a flood of them is summarised */
            if (event_pass(&refusals, "pm_refused"))
                event("ev=pm_refused op=kill pid=%d by=%d", p->pid, caller ? caller->pid : -1);
            return EPERM;
        }
        return sys_kill(p->ep, m->PM_SIG > 0 ? m->PM_SIG : SIGTERM);
    }
    case PM_TREE:
        diag_charge(m->m_source);          /* on the asker's output budget */
        print_tree();
        diag_charge(0);
        return OK;
    default:
        return ENOSYS;
    }
}

/* Only "nothing saved" (ENOENT) starts a new tree. Any other failure
 * (DS gone under the restore, a corrupt or foreign table, DS having lost
 * kept state) fails the init with its cause: a fresh tree answered OK
 * would forget every user process and its parent without a word. RS
 * restarts PM again after backoff, when DS may be back. */
static int init_restore(int type, const struct sef_init_info *info)
{
    const char *why;
    int n = pm_restore(&why);
    if (n == ENOENT) {
        event("ev=pm_restored procs=0 type=%d", type);
        return init_fresh(type, info);
    }
    if (n <= 0) {
        int err = n < 0 ? n : EINVAL;          /* no INIT, no RS: not a tree */
        event("ev=pm_restore_failed err=%d type=%d why=%s", err, type, n == 0 ? "empty" : why);
        return err;
    }
    event("ev=pm_restored procs=%d type=%d", n, type);
    pm_sync_services(info);      /* what RS started or ended while PM was away */
    return OK;
}

static int lu_prepare(int state)
{
    (void)state;
    pm_save();
    return OK;
}

int main(void)
{
    sef_setcb_stateful(init_fresh, init_restore, lu_prepare);
    sef_startup();
    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) {
            if (m.m_source == SYSTEM) { pm_reap_signals(); pm_save(); }
            continue;
        }
        FI_POINT("pm.request");
        int r = handle(&m, pm_by_ep(m.m_source));
        if (m.m_type != PM_TREE && m.m_type != PM_GETPID && m.m_type != PM_SRV_START) pm_save();
        if (r == EDONTREPLY) continue;
        /* non-blocking (blocking only to RS, which takes answers in its
         * loop): a caller that sent without waiting for the answer loses
         * it, but cannot hold PM until RS kills it for missed pings */
        int src = m.m_source;
        int sr = sef_reply(&m, r);
        if (sr != OK) event("ev=pm_reply_lost dst=%d type=request err=%d", src, sr);
    }
}
