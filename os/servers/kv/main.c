/* main.c - KV, victim service 1: a key-value store of up to 64 int keys.
 * It holds state that must survive faults: after every successful PUT the
 * whole table is saved in DS, and a restarted or updated instance takes it
 * back. A PUT is answered OK only once it is saved, so a client can trust
 * that an acknowledged value survives a crash. KV_CRASH and KV_HANG are
 * faults on request, for the recovery tests; neither is answered. Module
 * arguments can make its init fail, hang or crash, or make every instance
 * crash right after init, for tests of RS itself. */
#include "../victim.h"
#include "../../include/fi.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

#define KV_KEYS  64
#define KV_MAGIC 0x4b563031u   /* "KV01" */

static struct kv_state {
    uint32_t magic;
    uint32_t generation;       /* instances that carried this table on */
    int32_t  used[KV_KEYS];
    int32_t  key[KV_KEYS];
    int32_t  val[KV_KEYS];
} st;

static int init_type;

static void clear_state(void)
{
    memset(&st, 0, sizeof st);
    st.magic = KV_MAGIC;
}

static int nr_keys(void)
{
    int n = 0;
    for (int i = 0; i < KV_KEYS; i++) n += st.used[i] != 0;
    return n;
}

static int slot_of(int key)
{
    for (int i = 0; i < KV_KEYS; i++) if (st.used[i] && st.key[i] == key) return i;
    return -1;
}

/* A restored blob is only taken if it is exactly our table and sane. */
static int state_sane(int bytes)
{
    if (bytes != (int)sizeof st || st.magic != KV_MAGIC) return 0;
    for (int i = 0; i < KV_KEYS; i++) {
        if (st.used[i] != 0 && st.used[i] != 1) return 0;
        if (st.used[i] && slot_of(st.key[i]) != i) return 0;   /* duplicate key */
    }
    return 1;
}


static int do_put(message *m)
{
    int key = m->m.i[0], val = m->m.i[1];
    int i = slot_of(key);
    if (i < 0) for (i = 0; i < KV_KEYS && st.used[i]; i++) ;
    if (i == KV_KEYS) return ENOSPC;
    int was_used = st.used[i], old_key = st.key[i], old_val = st.val[i];
    st.used[i] = 1; st.key[i] = key; st.val[i] = val;
    int r = sef_state_save(&st, sizeof st);
    if (r != OK) {
        /* not durable, so not done: undo and let the client retry */
        st.used[i] = was_used; st.key[i] = old_key; st.val[i] = old_val;
        event("ev=kv_save_failed key=%d err=%d", key, r);
        return r;
    }
    return OK;
}

static int do_get(message *m)
{
    int i = slot_of(m->m.i[0]);
    if (i < 0) return ENOENT;
    m->m.i[1] = st.val[i];
    return OK;
}

static int do_stats(message *m)
{
    m->m.i[0] = nr_keys();
    m->m.i[1] = (int)st.generation;
    m->m.i[2] = init_type;
    m->m.i[3] = sef_init_info()->restarts;
    return OK;
}

static int init_fresh(int type, const struct sef_init_info *info)
{
    (void)info;
    init_type = type;
    clear_state();
    /* overwrite a table an earlier instance of this label left in DS, so
     * a crash before the first PUT does not bring old keys back; the label
     * may not be published yet, which is harmless */
    (void)sef_state_save(&st, sizeof st);
    return OK;
}

static int init_restore(int type, const struct sef_init_info *info)
{
    (void)info;
    init_type = type;
    int r = sef_state_restore(&st, sizeof st);
    if (!state_sane(r)) {
        /* nothing (or nothing usable) saved: serve with an empty table
         * rather than not at all; the client sees the loss */
        clear_state();
        if (r != ENOENT) event("ev=kv_restore_failed err=%d type=%d", r < 0 ? r : EINVAL, type);
    }
    st.generation++;
    event("ev=kv_restored keys=%d type=%d", nr_keys(), type);
    return OK;
}

/* Every PUT is saved before it is answered; saving again here makes the
 * update safe even if a save was refused in between. */
static int lu_prepare(int state)
{
    (void)state;
    return sef_state_save(&st, sizeof st) == OK ? OK : EAGAIN;
}

int main(int argc, char **argv)
{
    int crashloop = victim_crashloop(argc, argv);
    sef_setcb_stateful(init_fresh, init_restore, lu_prepare);
    sef_startup();
    if (crashloop) {
        event("ev=kv_fault kind=crashloop");
        victim_crash();
    }

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) continue;
        int r;
        switch (m.m_type) {
        case KV_PUT:
            FI_POINT("kv.put");
            r = FI_ERROR("kv.put.err") ? EIO : do_put(&m);
            break;
        case KV_GET:
            FI_POINT("kv.get");
            r = do_get(&m);
            break;
        case KV_STATS: r = do_stats(&m); break;
        case KV_CRASH:
        case KV_HANG:
            if (!victim_may_inject(m.m_source)) {
                event("ev=kv_fault_refused from=%d", m.m_source);
                r = EPERM;
                break;
            }
            if (m.m_type == KV_HANG) {
                event("ev=kv_fault kind=hang from=%d", m.m_source);
                for (;;) ;        /* no more pings answered: RS must notice */
            } else {
                event("ev=kv_fault kind=crash from=%d", m.m_source);
                victim_crash();
            }
        default:       r = ENOSYS; break;
        }
        if (FI_ERROR("kv.reply")) continue;     /* injected: answer lost */
        sef_reply(&m, r);
    }
}
