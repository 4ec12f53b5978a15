/* priv.c - the privilege table. Static ids for kernel tasks and boot
 * slots, two shared ids for user processes (INIT's, and the fault-injection
 * tools'), dynamic ids for the rest.
 * Send permission is a bitmap of priv ids and is granted symmetrically,
 * so whoever may be sent to can reply. */
#include "proc.h"

struct priv priv_table[NR_PRIV_IDS];

void priv_init(void)
{
    for (int i = 0; i < NR_PRIV_IDS; i++) {
        memset(&priv_table[i], 0, sizeof priv_table[i]);
        priv_table[i].id = i;
        priv_table[i].proc_nr = NONE;
        priv_table[i].sig_mgr = NONE;
    }
}

struct priv *priv_get(int id)
{
    if (id == NULL_PRIV_ID) {
        for (int i = FIRST_DYN_PRIV_ID; i < NR_PRIV_IDS; i++)
            if (!priv_table[i].in_use) { id = i; break; }
        if (id == NULL_PRIV_ID) return 0;
    }
    if (id < 0 || id >= NR_PRIV_IDS || priv_table[id].in_use) return 0;
    struct priv *pv = &priv_table[id];
    memset(pv, 0, sizeof *pv);
    pv->id = id;
    pv->proc_nr = NONE;
    pv->sig_mgr = NONE;
    pv->in_use = 1;
    return pv;
}

void priv_free(struct priv *pv)
{
    if (!pv || is_user_priv_id(pv->id)) return;      /* shared: never freed */
    /* nobody may keep a grant to, or a notification from, a freed id */
    for (int i = 0; i < NR_PRIV_IDS; i++) {
        priv_table[i].ipc_to &= ~(1ull << pv->id);
        priv_table[i].notify_pending &= ~(1ull << pv->id);
    }
    pv->in_use = 0;
    pv->proc_nr = NONE;
    pv->ipc_to = 0;
    pv->k_calls = 0;
    pv->alarm_at = 0;
    pv->notify_pending = 0;
}

struct proc *priv_owner(int id)
{
    struct priv *pv = &priv_table[id];
    if (!pv->in_use || pv->proc_nr == NONE) return 0;
    return proc_addr(pv->proc_nr);
}

void priv_set_sendto(struct priv *a, struct priv *b, int allow)
{
    if (a == b) return;
    if (allow) {
        a->ipc_to |= 1ull << b->id;
        /* the target may answer, unless it can only receive */
        if (b->trap_mask & ~(1u << IPC_RECEIVE))
            b->ipc_to |= 1ull << a->id;
    } else {
        a->ipc_to &= ~(1ull << b->id);
    }
}

int may_send_to(struct proc *from, struct proc *to)
{
    if (!from->priv || !to->priv) return 0;
    return (from->priv->ipc_to >> to->priv->id) & 1;
}
