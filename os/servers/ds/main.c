/* main.c - DS, the data store: label -> endpoint mappings published by RS,
 * subscriptions to label changes, and one saved state blob per label so a
 * service restarted under a new endpoint gets its state back. */
#include "../../include/fi.h"
#include "ds.h"
#include "../../lib/common/evlimit.h"

/* A blob is copied in here first so a failed copy cannot damage the state
 * the service saved before. */
static uint8_t scratch[DS_STATE_MAX];

/* A request DS will not do: the caller gets err, the console says why.
 * The label is the caller's bytes: quoted (ev_quote), so nothing in it can
 * end the field or the line. */
/* A flood of refusals is summarised, each reason on its own (why is
 * always a literal, so its address names it): a flood of one kind of
 * refusal does not hide the first few of another. */
#define NR_REASONS 8
static struct { const char *why; struct evlimit l; } refusals[NR_REASONS];

static struct evlimit *refusal_limit(const char *why)
{
    int i = 0;
    for (; i < NR_REASONS - 1 && refusals[i].why && refusals[i].why != why; i++) {}
    refusals[i].why = why;           /* the last is shared by any more reasons */
    return &refusals[i].l;
}

static int refuse(const char *op, int src, const char *label, const char *why, int err)
{
    char q[2 * LABEL_MAX + 3];
    if (event_pass(refusal_limit(why), "ds_refused"))
        event("ev=ds_refused op=%s src=%d label=%s reason=%s err=%d", op, src,
              ev_quote(q, sizeof q, label ? label : "-"), why, err);
    return err;
}

/* Labels are published by RS alone: it starts every service and knows
 * which endpoint a label names. A service never publishes for itself, so
 * no one else's word is taken for it. */
static int do_publish(message *m)
{
    char label[LABEL_MAX];
    if (!ds_label_ok(m->DS_LABEL, label)) return EINVAL;
    if (m->m_source != RS_PROC_EP) return refuse("publish", m->m_source, label, "not_rs", EPERM);
    int ep = m->DS_ENDPT;
    if (!ds_ep_ok(ep)) return EINVAL;
    struct ds_entry *e = ds_find(label);
    if (!e && !(e = ds_alloc(label)) && subs_sweep() > 0) e = ds_alloc(label);
    if (!e) return refuse("publish", m->m_source, label, "table_full", ENOSPC);
    int old = e->ep;
    ds_set_endpoint(e, ep);
    event("ev=ds_publish label=%s ep=%d old=%d", label, ep, old == NONE ? -1 : old);
    return OK;
}

static int do_delete(message *m)
{
    char label[LABEL_MAX];
    if (!ds_label_ok(m->DS_LABEL, label)) return EINVAL;
    if (m->m_source != RS_PROC_EP) return refuse("delete", m->m_source, label, "not_rs", EPERM);
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

/* Why a user client may not subscribe now, or 0. Only the limits that
 * the death of some other client could lift are worth a sweep. */
static const char *user_limit(int src, struct ds_entry *e, int *err)
{
    *err = EDQUOT;
    if (subs_count(ANY, src, 0) >= DS_CLIENT_SUBS) return "client_quota";
    *err = ENOSPC;
    if (subs_count(ANY, ANY, 1) >= DS_USER_SUBS) return "user_subs";
    if (!e && ds_nr_user_labels() >= DS_USER_LABELS) return "user_labels";
    return 0;
}

static int do_subscribe(message *m)
{
    char label[LABEL_MAX];
    int src = m->m_source, err;
    if (!ds_label_ok(m->DS_LABEL, label)) return EINVAL;
    struct ds_entry *e = ds_find(label);
    if (e && subs_find(ds_index(e), src)) return OK;      /* already subscribed */
    int user = !ds_is_service(src);
    if (user) {
        const char *why = user_limit(src, e, &err);
        if (why && err != EDQUOT && subs_sweep() > 0) {
            e = ds_find(label);                           /* the sweep may free it */
            why = user_limit(src, e, &err);
        }
        if (why) return refuse("subscribe", src, label, why, err);
    }
    /* out of room: end dead users' subscriptions first; that may free
     * entries, so look the label up again */
    if ((!e && ds_nr_in_use() >= DS_MAX_LABELS) || subs_count(ANY, ANY, 0) >= DS_MAX_SUBS) {
        subs_sweep();
        e = ds_find(label);
    }
    int made = 0;
    if (!e) {
        if (!(e = ds_alloc(label))) return refuse("subscribe", src, label, "table_full", ENOSPC);
        e->by_user = user;
        made = 1;
    }
    if (!user) e->by_user = 0;                 /* a service needs this label */
    if (!subs_add(ds_index(e), src, user)) {
        if (made) ds_reclaim(e);
        return refuse("subscribe", src, label, "subs_full", ENOSPC);
    }
    return OK;
}

static int do_check(message *m)
{
    struct ds_entry *e = subs_next_change(m->m_source);
    if (!e) return ENOENT;
    memcpy(m->DS_LABEL, e->label, LABEL_MAX);
    m->DS_ENDPT = e->ep;
    return OK;
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
    char label[LABEL_MAX];
    if (!rs_label_of(ep, label)) return 0;
    if ((e = ds_find(label))) return e;
    if (!(e = ds_alloc(label)) && subs_sweep() > 0) e = ds_alloc(label);
    return e;                              /* published later, when init is done */
}

static int do_store(message *m)
{
    struct ds_entry *e = caller_entry(m->m_source);
    if (!e) return refuse("store", m->m_source, 0, "no_label", EPERM);
    uint32_t len = m->DS_LEN;
    if (len > DS_STATE_MAX) return E2BIG;
    if (len) {
        int r = sys_vircopy(m->m_source, m->DS_ADDR, SELF, (uint32_t)scratch, len);
        if (r != OK) { ds_reclaim(e); return r; }
    }
    memcpy(e->blob, scratch, len);
    e->blob_len = len;
    e->has_blob = 1;
    keep_seal(e);
    e->by_user = 0;                        /* a service's state lives here */
    return OK;
}

static int do_retrieve(message *m)
{
    struct ds_entry *e = caller_entry(m->m_source);
    if (!e) return EPERM;
    FI_POINT("ds.retrieve");               /* DS failing under a restore */
    if (!e->has_blob) {
        ds_reclaim(e);
        if (!ds_kept.lost) return ENOENT;
        /* DS dropped kept entries it could not trust: this label's state
         * may have been one of them, so "nothing saved" would be a guess */
        event("ev=ds_state_lost label=%s ep=%d", e->label, m->m_source);
        return ELOST;
    }
    uint32_t room = m->DS_LEN;
    m->DS_LEN = e->blob_len;            /* on E2BIG the caller learns the size */
    if (e->blob_len > room) return E2BIG;
    if (e->blob_len) {
        int r = sys_vircopy(SELF, (uint32_t)e->blob, m->m_source, m->DS_ADDR, e->blob_len);
        if (r != OK) return r;
    }
    return OK;
}

/* Which endpoint each label names: RS's public table, in the init data,
 * is the truth, for every service whose init is done (RS publishes a
 * label only then). */
static int republish_from_rs(const struct sef_init_info *info)
{
    int n = 0;
    for (int idx = 0; idx < info->nr_pub; idx++) {
        const struct rprocpub *p = &info->pub[idx];
        if (!(p->flags & RSF_IN_USE) || !(p->flags & RSF_ACTIVE)) continue;
        char label[LABEL_MAX];
        if (!ds_label_ok(p->label, label) || !ds_ep_ok(p->endpoint)) continue;
        struct ds_entry *e = ds_find(label);
        if (!e && !(e = ds_alloc(label))) break;
        ds_set_endpoint(e, p->endpoint);
        n++;
    }
    return n;
}

/* A fresh start (boot, or `service refresh ds`): no saved state and no
 * subscriptions, but the labels of the services already running. */
static int init_fresh(int type, const struct sef_init_info *info)
{
    ds_reset();
    int n = republish_from_rs(info);
    if (n) event("ev=ds_rebuilt labels=%d type=%d kept=0 blobs=0 subs=0 dropped=0 dropped_subs=0 lost=0",
                 n, type);
    return OK;
}

/* Restart or update: the labels, saved blobs and subscriptions are where
 * the old instance left them (keep.c), each checked; which endpoint each
 * label names comes from RS's public table. If nothing usable was kept
 * (DS started afresh in a new process), only the endpoints come back. */
static int init_rebuild(int type, const struct sef_init_info *info)
{
    int bad_entries, bad_subs;
    int kept = keep_check(&bad_entries, &bad_subs);
    if (kept < 0) {
        /* whatever was saved is gone, and DS cannot say whose it was */
        ds_reset();
        ds_kept.lost = 1;
    }
    int n = republish_from_rs(info);
    int blobs = 0;
    for (int i = 0; i < DS_MAX_LABELS; i++) {
        struct ds_entry *e = ds_entry_at(i);
        if (e && e->has_blob) blobs++;
    }
    event("ev=ds_rebuilt labels=%d type=%d kept=%d blobs=%d subs=%d dropped=%d dropped_subs=%d lost=%u",
          n, type, kept < 0 ? 0 : kept, blobs, subs_count(ANY, ANY, 0), bad_entries, bad_subs,
          ds_kept.lost);
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
        if (is_notify(&m)) {
            /* PM: a process it manages ended (RS's pings never get here) */
            if (m.m_source == PM_PROC_EP) subs_sweep();
            continue;
        }
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
