/* sys_priv.c - SYS_PRIVCTL: how RS makes boot processes and new services
 * runnable. A process starts with RTS_NO_PRIV; SET_SYS or SET_USER gives it
 * a privilege structure, and ALLOW lets it run. */
#include "system.h"
#include "memory.h"

static void apply_spec(struct proc *p, struct priv *pv, const priv_spec_t *s)
{
    pv->flags = (s->flags | PF_SYS_PROC) & ~PF_ROOT_SYS;   /* one RS only */
    pv->trap_mask = s->trap_mask & IPC_ALL_TRAPS;
    pv->k_calls = s->k_calls & SYS_ALL_CALLS;
    pv->sig_mgr = s->sig_mgr;
    pv->proc_nr = p->nr;
    p->priv = pv;
    p->priority = s->priority >= 0 && s->priority < IDLE_Q ? s->priority : 4;
    p->quantum = p->ticks_left = s->quantum > 0 && s->quantum <= 100 ? s->quantum : 8;
    for (int id = 0; id < NR_PRIV_IDS; id++) {
        struct priv *q = &priv_table[id];
        if (!q->in_use || q == pv) continue;
        if ((s->ipc_to >> id) & 1)
            priv_set_sendto(pv, q, 1);
        /* whoever may already send to this id may be answered */
        if (((q->ipc_to >> pv->id) & 1) && (pv->trap_mask & ~(1u << IPC_RECEIVE)))
            pv->ipc_to |= 1ull << id;
    }
}

static int set_sys(struct proc *caller, struct proc *p, uint32_t addr)
{
    priv_spec_t s;
    if (addr) {
        if (copy_from_user(caller, addr, &s, sizeof s) != OK) return EFAULT;
    } else {
        memset(&s, 0, sizeof s);
        s.id = NULL_PRIV_ID;
        s.flags = PF_PREEMPTIBLE;
        s.trap_mask = IPC_ALL_TRAPS;
        s.ipc_to = ~0ull & ~USER_PRIV_MASK;
        s.sig_mgr = caller->endpoint;
        s.priority = 4;
    }
    int id = (s.flags & PF_DYN_PRIV_ID) ? NULL_PRIV_ID : s.id;
    if (id != NULL_PRIV_ID && (id < NR_TASKS || id >= NR_STATIC_PRIV_IDS))
        return EINVAL;                     /* static ids are for boot slots */
    if (s.sig_mgr != NONE) {
        int err;
        if (!ep_to_proc(s.sig_mgr, &err)) return EINVAL;
    }
    struct priv *old = p->priv;
    if (old && old->id == id && id != NULL_PRIV_ID) {
        priv_free(old);                    /* re-setting the same static id */
        old = 0;
        p->priv = 0;
    }
    struct priv *pv = priv_get(id);
    if (!pv) return id == NULL_PRIV_ID ? ENOSPC : EBUSY;
    if (old && !is_user_priv_id(old->id)) priv_free(old);
    apply_spec(p, pv, &s);
    kevent("ev=priv_set proc=%s ep=%d priv=%d flags=0x%x calls=0x%llx", p->name, p->endpoint,
           pv->id, pv->flags, (unsigned long long)pv->k_calls);
    return OK;
}

/* A user process points at one of the shared user privileges: nothing is
 * allocated, so any number of user processes cost no priv id, and the
 * shared structure outlives every one of them. */
static int set_user(struct proc *p, int id)
{
    if (p->priv && !is_user_priv_id(p->priv->id)) priv_free(p->priv);
    struct priv *pv = &priv_table[id];
    p->priv = pv;
    p->priority = USER_Q;
    kevent("ev=priv_set proc=%s ep=%d priv=%d flags=0x%x calls=0x%llx", p->name, p->endpoint,
           pv->id, pv->flags, (unsigned long long)pv->k_calls);
    return OK;
}

int do_privctl(struct proc *caller, message *m)
{
    int err;
    struct proc *p = ctl_proc(caller, m->PRIV_ENDPT, "privctl", &err);
    if (!p) return err;
    if (p == caller) return EPERM;
    switch (m->PRIV_REQ) {
    case PRIV_ALLOW:
        if (!(p->rts & RTS_NO_PRIV) || !p->priv) return EPERM;
        kevent("ev=priv_allow proc=%s ep=%d dispatches=%u", p->name, p->endpoint, p->dispatches);
        clear_rts(p, RTS_NO_PRIV);
        return OK;
    case PRIV_DISALLOW:
        if (p->rts & RTS_NO_PRIV) return EPERM;
        set_rts(p, RTS_NO_PRIV);
        return OK;
    case PRIV_SET_SYS:
        if (!(p->rts & RTS_NO_PRIV)) return EPERM;
        return set_sys(caller, p, m->PRIV_ADDR);
    case PRIV_SET_USER:
    case PRIV_SET_FI_USER:
        if (!(p->rts & RTS_NO_PRIV)) return EPERM;
        return set_user(p, m->PRIV_REQ == PRIV_SET_USER ? USER_PRIV_ID : FI_USER_PRIV_ID);
    default:
        return EINVAL;
    }
}
