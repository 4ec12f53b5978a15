/* main.c - DS, the data store: label -> endpoint mappings published by RS,
 * subscriptions to label changes, and one saved state blob per label so a
 * service restarted under a new endpoint gets its state back. */
#include "../../include/fi.h"
#include "ds.h"

/* A blob is copied in here first so a failed copy cannot damage the state
 * the service saved before. */
static uint8_t scratch[DS_STATE_MAX];

static int do_publish(message *m)
{
    char label[LABEL_MAX];
    if (m->m_source != RS_PROC_EP) return EPERM;
    if (!ds_label_ok(m->DS_LABEL, label)) return EINVAL;
    int ep = m->DS_ENDPT;
    if (!ds_ep_ok(ep)) return EINVAL;
    struct ds_entry *e = ds_find(label);
    if (!e && !(e = ds_alloc(label))) return ENOSPC;
    int old = e->ep;
    ds_set_endpoint(e, ep);
    event("ev=ds_publish label=%s ep=%d old=%d", label, ep, old == NONE ? -1 : old);
    return OK;
}

static int do_delete(message *m)
{
    char label[LABEL_MAX];
    if (m->m_source != RS_PROC_EP) return EPERM;
    if (!ds_label_ok(m->DS_LABEL, label)) return EINVAL;
    struct ds_entry *e = ds_find(label);
    if (!e || e->ep == NONE) return ESRCH;
    int old = e->ep;
    ds_set_endpoint(e, NONE);   /* subscribers hear DS_ENDPT = NONE */
    event("ev=ds_delete label=%s old=%d", label, old);
    return OK;
}

static int do_lookup(message *m)
{
    char label[LABEL_MAX];
    if (!ds_label_ok(m->DS_LABEL, label)) return EINVAL;
    struct ds_entry *e = ds_find(label);
    if (!e || e->ep == NONE) return ESRCH;
    m->DS_ENDPT = e->ep;
    return OK;
}

static int do_subscribe(message *m)
{
    char label[LABEL_MAX];
    if (!ds_label_ok(m->DS_LABEL, label)) return EINVAL;
    struct ds_entry *e = ds_find(label);
    if (!e && !(e = ds_alloc(label))) return ENOSPC;
    return ds_subscribe(e, m->m_source);
}

static int do_check(message *m)
{
    struct ds_entry *e = ds_next_change(m->m_source);
    if (!e) return ENOENT;
    memcpy(m->DS_LABEL, e->label, LABEL_MAX);
    m->DS_ENDPT = e->ep;
    return OK;
}

/* One entry of RS's public table (RSF_IN_USE clear for a free one): OK,
 * EINVAL past its end, or an IPC error. RS answers in the same loop pass
 * that takes the request, so what comes back is the answer; a request type
 * would mean it is not, and counts as a failure. */
static int getpub(int idx, message *q)
{
    memset(q, 0, sizeof *q);
    q->m_type = RS_GETPUB;
    q->PUB_INDEX = idx;
    int r = ipc_sendrec(RS_PROC_EP, q);
    if (r != OK) return r;
    return q->m_type > 0 ? EIO : q->m_type;
}

/* Whose state a STORE or RETRIEVE is about. The caller is known by the
 * label RS gave it, never by anything it says about itself. RS publishes
 * an endpoint only once its init succeeded, so a service restarted under
 * a new endpoint is not in DS's table while its init restores its state:
 * then RS's public table, which has the new endpoint already, says. */
static struct ds_entry *caller_entry(int ep)
{
    struct ds_entry *e = ds_find_ep(ep);
    if (e || ep == RS_PROC_EP) return e;
    for (int idx = 0; idx < NR_PROCS; idx++) {
        message q;
        int r = getpub(idx, &q);
        if (r != OK) break;                /* past the end, or RS unreachable */
        if (!(q.PUB_FLAGS & RSF_IN_USE) || q.PUB_ENDPOINT != ep) continue;
        char label[LABEL_MAX];
        if (!ds_label_ok(q.PUB_LABEL, label)) return 0;
        e = ds_find(label);
        return e ? e : ds_alloc(label);    /* published later, when init is done */
    }
    return 0;
}

static int do_store(message *m)
{
    struct ds_entry *e = caller_entry(m->m_source);
    if (!e) return EPERM;
    uint32_t len = m->DS_LEN;
    if (len > DS_STATE_MAX) return E2BIG;
    if (len) {
        int r = sys_vircopy(m->m_source, m->DS_ADDR, SELF, (uint32_t)scratch, len);
        if (r != OK) return r;
    }
    memcpy(e->blob, scratch, len);
    e->blob_len = len;
    e->has_blob = 1;
    return OK;
}

static int do_retrieve(message *m)
{
    struct ds_entry *e = caller_entry(m->m_source);
    if (!e) return EPERM;
    if (!e->has_blob) return ENOENT;
    uint32_t room = m->DS_LEN;
    m->DS_LEN = e->blob_len;            /* on E2BIG the caller learns the size */
    if (e->blob_len > room) return E2BIG;
    if (e->blob_len) {
        int r = sys_vircopy(SELF, (uint32_t)e->blob, m->m_source, m->DS_ADDR, e->blob_len);
        if (r != OK) return r;
    }
    return OK;
}

static int init_fresh(int type, const struct sef_init_info *info)
{
    (void)type; (void)info;
    ds_reset();
    return OK;
}

/* Restart or update: DS cannot keep its own state in itself, so it gets
 * the label -> endpoint mappings back from RS's public table. Saved blobs
 * and subscriptions are lost with the old instance. */
static int init_rebuild(int type, const struct sef_init_info *info)
{
    (void)info;
    ds_reset();
    int n = 0;
    for (int idx = 0; idx < NR_PROCS; idx++) {
        message q;
        int r = getpub(idx, &q);
        if (r != OK) break;
        if (!(q.PUB_FLAGS & RSF_IN_USE)) continue;
        char label[LABEL_MAX];
        if (!ds_label_ok(q.PUB_LABEL, label) || !ds_ep_ok(q.PUB_ENDPOINT)) continue;
        struct ds_entry *e = ds_find(label);
        if (!e && !(e = ds_alloc(label))) break;
        ds_set_endpoint(e, q.PUB_ENDPOINT);
        n++;
    }
    event("ev=ds_rebuilt labels=%d type=%d", n, type);
    return OK;
}

int main(void)
{
    sef_setcb_init_fresh(init_fresh);
    sef_setcb_init_restart(init_rebuild);
    sef_setcb_init_lu(init_rebuild);
    /* between requests DS holds no request in progress: any standard
     * state is reached in the receive loop */
    sef_setcb_lu_state_isvalid(sef_cb_lu_state_isvalid_standard);
    sef_setcb_lu_prepare(sef_cb_lu_prepare_always_ready);
    sef_startup();

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) continue;
        int r;
        FI_POINT("ds.request");
        switch (m.m_type) {
        case DS_PUBLISH:   r = do_publish(&m); break;
        case DS_DELETE:    r = do_delete(&m); break;
        case DS_LOOKUP:    r = do_lookup(&m); break;
        case DS_SUBSCRIBE: r = do_subscribe(&m); break;
        case DS_CHECK:     r = do_check(&m); break;
        case DS_STORE:     r = do_store(&m); break;
        case DS_RETRIEVE:  r = do_retrieve(&m); break;
        default:           r = ENOSYS; break;
        }
        sef_reply(&m, r);
    }
}
