/* who.c - what DS asks others about a caller: RS, whether it started the
 * caller and under which label (its public table is the authority on
 * services), and the kernel, whether an endpoint is still alive. DS never
 * takes a caller's word for who it is. */
#include "ds.h"

/* One entry of RS's public table (RSF_IN_USE clear for a free one): OK,
 * EINVAL past its end, or an IPC error. RS answers in the same loop pass
 * that takes the request, so what comes back is the answer; a request type
 * would mean it is not, and counts as a failure. */
int rs_getpub(int idx, message *q)
{
    memset(q, 0, sizeof *q);
    q->m_type = RS_GETPUB;
    q->PUB_INDEX = idx;
    int r = ipc_sendrec(RS_PROC_EP, q);
    if (r != OK) return r;
    return q->m_type > 0 ? EIO : q->m_type;
}

/* The label RS runs ep under, copied to label: 1, or 0 if RS did not
 * start ep (a user program) or cannot be asked. */
int rs_label_of(int ep, char *label)
{
    for (int idx = 0; idx < NR_PROCS; idx++) {
        message q;
        if (rs_getpub(idx, &q) != OK) break;   /* past the end, or RS unreachable */
        if (!(q.PUB_FLAGS & RSF_IN_USE) || q.PUB_ENDPOINT != ep) continue;
        return ds_label_ok(q.PUB_LABEL, label);
    }
    return 0;
}

/* Services are what RS started: RS itself, an endpoint RS published, or
 * one in RS's table that is not published yet (still in its init). */
int ds_is_service(int ep)
{
    char label[LABEL_MAX];
    return ep == RS_PROC_EP || ds_find_ep(ep) || rs_label_of(ep, label);
}

/* The kernel resolves an endpoint only while that very process (slot and
 * generation) exists; anything else is a dead endpoint. */
int ds_ep_alive(int ep)
{
    priv_spec_t s;
    int r = sys_getinfo(GET_PRIV, &s, sizeof s, ep, 0);
    return r != EDEADSRCDST && r != EINVAL;
}
