/* system.c - the SYSTEM task: the kernel-call trap checks the caller's
 * call mask and dispatches; signals to managers are posted from here. */
#include "system.h"
#include "guardian.h"
#include "memory.h"
#include "contain.h"
#include "../include/signal.h"
#include "../include/fi.h"
#include "../lib/common/evlimit.h"

static const kcall_handler handlers[NR_SYS_CALLS] = {
    [SYS_PRIVCTL] = do_privctl, [SYS_EXIT] = do_exit, [SYS_KILL] = do_kill,
    [SYS_GETKSIG] = do_getksig, [SYS_VIRCOPY] = do_vircopy,
    [SYS_SETALARM] = do_setalarm, [SYS_TIMES] = do_times,
    [SYS_GETINFO] = do_getinfo, [SYS_DIAGCTL] = do_diagctl,
    [SYS_ABORT] = do_abort, [SYS_FORK] = do_fork, [SYS_EXEC] = do_exec, [SYS_GROW] = do_grow,
    [SYS_STOP] = do_stop, [SYS_SERIAL] = do_serial,
    [SYS_FI_CTL] = do_fi_ctl, [SYS_FI_FIRE] = do_fi_fire, [SYS_GCOV] = do_gcov,
    [SYS_RENEW] = do_renew,
    [SYS_UPDATE] = do_update,
};

struct proc *arg_proc(struct proc *caller, int ep, int *err)
{
    if (ep == SELF) { *err = OK; return caller; }
    struct proc *p = ep_to_proc(ep, err);
    if (p && is_task(p)) { *err = EPERM; return 0; }
    return p;
}

/* Authority over another process (ending, stopping, signalling, exec'ing,
 * forking from or configuring it): a kernel-call mask says which calls a
 * process may make, not on whom. A process may act on itself; on another
 * only as its manager (RS for services, PM for user processes: the signal
 * manager), or as its creator while it has none yet. RS, the root,
 * manages everything. */
static int may_control(const struct proc *caller, const struct proc *p)
{
    if (p == caller) return 1;
    if (caller->priv && (caller->priv->flags & PF_ROOT_SYS)) return 1;
    if (p->priv) return p->priv->sig_mgr == caller->endpoint;
    return p->creator == caller->endpoint;
}

/* The kernel's denials, summarised when they come in a flood (evlimit.h):
 * a program that asks in a loop gets a few lines a second and a count. */
static struct evlimit denials;

int denial_shown(void)
{
    unsigned int summary;
    int show = evlimit_pass(&denials, ticks, &summary);
    if (summary) kevent("ev=suppressed what=denied n=%u", summary);
    return show;
}

/* the tick the denials' period ends at (it begins again there) */
uint32_t denials_due(void)
{
    return denials.start + EVLIMIT_PERIOD;
}

/* Every tick: the summary of a period that is over. */
void denials_flush(void)
{
    unsigned int summary = evlimit_flush(&denials, ticks);
    if (summary) kevent("ev=suppressed what=denied n=%u", summary);
}

struct proc *ctl_proc(struct proc *caller, int ep, const char *call, int *err)
{
    struct proc *p = arg_proc(caller, ep, err);
    if (p && !may_control(caller, p)) {
        if (denial_shown())
            kevent("ev=denied call=%s proc=%s ep=%d by=%s by_ep=%d", call, p->name, p->endpoint,
               caller->name, caller->endpoint);
        *err = EPERM;
        return 0;
    }
    return p;
}

/* ecx = message address; the reply overwrites it, eax = result. */
void kernel_call_trap(struct proc *caller)
{
    message m;
    uint32_t uaddr = caller->regs.ecx;
    /* the answer overwrites the message: one the caller cannot write would
     * take effect and then go unanswered (EFAULT after the fact), so it is
     * refused before anything is done */
    if (!user_range_ok(caller, uaddr, sizeof m, 1) ||
        copy_from_user(caller, uaddr, &m, sizeof m) != OK) {
        caller->regs.eax = (uint32_t)EFAULT;
        return;
    }
    int call = m.m_type, r;
    contain_note_call(call);         /* named if a fault in it is contained */
    if (call < 0 || call >= NR_SYS_CALLS || !handlers[call])
        r = EBADREQUEST;
    else if (!caller->priv || !(caller->priv->k_calls & KC_BIT(call)))
        r = ECALLDENIED;
    else if (call != SYS_FI_FIRE && call != SYS_FI_CTL && FI_ERROR("kernel.call"))
        r = FI_ERRNO(EIO);
    else
        r = handlers[call](caller, &m);
    if (r == EDONTREPLY)            /* caller is gone (exited itself) */
        return;
    m.m_type = r;
    m.m_source = SYSTEM;
    contain_reply(&m);               /* done: a fault from here is answered again */
    if (copy_to_user(caller, uaddr, &m, sizeof m) != OK)
        r = EFAULT;
    caller->regs.eax = (uint32_t)r;
}

void proc_exit(struct proc *p, const char *why)
{
    if (p->priv && (p->priv->flags & PF_ROOT_SYS)) {
        rs_guardian(p, why);             /* RS comes back, in place */
        return;
    }
    kevent("ev=exit proc=%s ep=%d why=%s", p->name, p->endpoint, why);
    proc_cleanup(p);
}

/* Stop p and tell its signal manager; without a manager it just ends. */
void cause_sig(struct proc *p, int sig)
{
    if (p->priv && (p->priv->flags & PF_ROOT_SYS)) {
        rs_guardian(p, sig == SIGEXIT ? "exit" : "signal");   /* RS comes back, in place */
        return;
    }
    int mgr_e = p->priv ? p->priv->sig_mgr : NONE, err;
    struct proc *mgr = mgr_e == NONE ? 0 : ep_to_proc(mgr_e, &err);
    if (!mgr || mgr == p) {
        proc_exit(p, "signal-without-manager");
        return;
    }
    p->sig_pending |= SIGBIT(sig);
    kevent("ev=signal proc=%s ep=%d sig=%d mgr=%s", p->name, p->endpoint, sig, mgr->name);
    if (!(p->rts & RTS_SIG_PENDING)) {
        set_rts(p, RTS_SIGNALED | RTS_SIG_PENDING);
        ipc_notify_from(proc_addr(SYSTEM), mgr);
    }
}

int do_kill(struct proc *caller, message *m)
{
    int err;
    struct proc *p = ctl_proc(caller, m->PR_ENDPT, "kill", &err);
    if (!p) return err;
    if (m->PR_SIG <= 0 || m->PR_SIG >= NSIG) return EINVAL;
    cause_sig(p, m->PR_SIG);
    return p == caller && (p->rts & RTS_SLOT_FREE) ? EDONTREPLY : OK;
}

int do_getksig(struct proc *caller, message *m)
{
    m->KSIG_ENDPT = NONE;
    m->KSIG_MAP = 0;
    for (int n = 0; n < NR_PROCS; n++) {
        struct proc *p = proc_addr(n);
        if (!(p->rts & RTS_SIG_PENDING) || (p->rts & RTS_SLOT_FREE)) continue;
        if (!p->priv || p->priv->sig_mgr != caller->endpoint) continue;
        m->KSIG_ENDPT = p->endpoint;
        m->KSIG_MAP = p->sig_pending;
        m->KSIG_ADDR = p->fault_addr;
        m->KSIG_PC = p->fault_pc;
        p->sig_pending = 0;
        p->rts &= ~RTS_SIG_PENDING;       /* stays stopped (SIGNALED) */
        break;
    }
    return OK;
}

int do_stop(struct proc *caller, message *m)
{
    int err;
    struct proc *p = ctl_proc(caller, m->PR_ENDPT, "stop", &err);
    if (!p) return err;
    if (p == caller) return EINVAL;
    if (m->PR_STOP) set_rts(p, RTS_PROC_STOP);
    else clear_rts(p, RTS_PROC_STOP | RTS_SIGNALED);
    return OK;
}

int do_exit(struct proc *caller, message *m)
{
    int err;
    struct proc *p = ctl_proc(caller, m->PR_ENDPT, "exit", &err);
    if (!p) return err;
    if (p == caller && p->priv && p->priv->sig_mgr != NONE &&
        ep_to_proc(p->priv->sig_mgr, &err) && p->priv->sig_mgr != p->endpoint) {
        /* a managed process that exits is stopped and its manager decides
         * (RS restarts a service that exits, PM reaps a user process) */
        kevent("ev=exit_request proc=%s ep=%d", p->name, p->endpoint);
        cause_sig(p, SIGEXIT);
        return EDONTREPLY;
    }
    proc_exit(p, p == caller ? "exit" : "killed");
    return p == caller ? EDONTREPLY : OK;
}

int do_abort(struct proc *caller, message *m)
{
    static const char *how[] = { "halt", "panic", "test-fail" };
    int h = m->ABRT_HOW;
    if (h < ABORT_HALT || h > ABORT_TEST_FAIL) return EINVAL;
    kevent("ev=shutdown how=%s by=%s", how[h], caller->name);
    machine_exit(h == ABORT_HALT ? GUEST_HALT : h == ABORT_PANIC ? GUEST_PANIC : GUEST_TEST_FAIL);
}
