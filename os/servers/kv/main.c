/* main.c - KV, victim service 1: a key-value store of int keys, per owner:
 * the workload's namespace of 64 keys and a small one for every other
 * caller (kv.h).
 * It holds state that must survive faults. Each request is a recovery
 * window (window.c): its changes are logged as they are made, and when it
 * ends they are checked and committed - the whole table saved in DS, the
 * copy a restarted or updated instance takes back - or undone. The same
 * request loop serves every version of kv; a version's saved layout, and
 * which older layouts it can take over, are in its layout file
 * (layout_v1.c; kv2, kv3).
 * What a client may rely on: a change answered OK is committed and
 * survives a crash; a change answered with an error was undone, wholly; a
 * change never answered (kv died, or the answer was lost) was either
 * committed whole or not at all, never half - repeating it is safe (a PUT
 * answers what the key held, so the client can tell its own earlier try
 * landed, os/commands/wl/client.c). KV_CRASH and KV_HANG are
 * faults on request, for the recovery tests; neither is answered. Module
 * arguments can make its init fail, hang or crash, or make every instance
 * crash right after init, for tests of RS itself. */
#include "../victim.h"
#include "../../include/fi.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"
#include "../../lib/common/format.h"
#include "kv.h"
#include "window.h"

SEF_PROVIDES("kv");

static int init_type;

/* Whose namespace a request is in: the workload's (NONE: the holders of
 * the fault-injection right, kv.h) or the caller's own. */
static int namespace_of(int src)
{
    return victim_may_inject(src) ? NONE : src;
}

/* A workload PUT writes its slot's three fields. Two hand fault sites lie
 * half-way, after the flag and key and before the value, for the tests of
 * the recovery window: kv.put.half (a crash or hang there) and
 * kv.put.half.err (the request is abandoned there, its error path). */
static int put_workload(message *m)
{
    int key = m->m.i[0], val = m->m.i[1];
    int i = kv_slot_of(key);
    if (i < 0) for (i = 0; i < KV_KEYS && kvt.used[i]; i++) ;
    if (i == KV_KEYS) {
        /* full, and the look-up said key is not held: checked as GET's
         * and DEL's look-ups are (kv_found_right's own loop), since a
         * look-up that misses a key it holds would otherwise answer
         * ENOSPC to every rewrite for as long as the fault lasts, with
         * nothing written for the window to check, while kv answers its
         * pings (the EDFI campaign's stuck_loop in kv_slot_of: the client
         * retried until the end). In a table with room, such a miss
         * writes a second slot, which the window catches. */
        if (kv_found_right(NONE, key, -1)) return ENOSPC;
        event("ev=kv_lookup_wrong op=put key=%d slot=-1", key);
        return kv_doubt();
    }
    int was_used = kvt.used[i], old_key = kvt.key[i], old_val = kvt.val[i];
    kv_set(&kvt.used[i], 1);
    kv_set(&kvt.key[i], key);
    FI_POINT("kv.put.half");
    if (FI_ERROR("kv.put.half.err")) return FI_ERRNO(EIO);
    kv_set(&kvt.val[i], val);
    /* what the key held before: the client's ledger checks that every
     * acknowledged write was still there when it rewrites the key, so a
     * loss is seen even when the load overwrites it afterwards */
    m->m.i[2] = was_used && old_key == key;
    m->m.i[3] = m->m.i[2] ? old_val : 0;
    return OK;
}

static int refuse(const char *op, int who, int key, const char *why, int err)
{
    event("ev=kv_refused op=%s from=%d key=%d reason=%s", op, who, key, why);
    return err;
}

static int put_user(message *m, int who)
{
    int key = m->m.i[0], val = m->m.i[1];
    int i = kv_user_slot(who, key), held = i >= 0, old_val = held ? kvu.val[i] : 0;
    if (!held) {
        if (kv_user_keys(who) >= KV_USER_QUOTA) return refuse("put", who, key, "quota", EDQUOT);
        for (int pass = 0; pass < 2 && (i < 0 || kvu.used[i]); pass++) {
            if (pass) kv_user_reclaim();
            for (i = 0; i < KV_USER_SLOTS && kvu.used[i]; i++) ;
            if (i == KV_USER_SLOTS) i = -1;
        }
        if (i < 0) return refuse("put", who, key, "full", ENOSPC);
    }
    kv_set(&kvu.used[i], 1);
    kv_set(&kvu.owner[i], who);
    kv_set(&kvu.key[i], key);
    kv_set(&kvu.val[i], val);
    m->m.i[2] = held;
    m->m.i[3] = old_val;
    return OK;
}

static int do_put(message *m)
{
    int who = namespace_of(m->m_source);
    return who == NONE ? put_workload(m) : put_user(m, who);
}

/* Where a request's key is, or -1; or -2 when the look-up's answer does
 * not hold up (a fault in it): the request is then refused before it
 * reads or changes anything (kv_doubt), and the client asks again. */
static int find(int who, int key, const char *op)
{
    int i = who == NONE ? kv_slot_of(key) : kv_user_slot(who, key);
    if (kv_found_right(who, key, i)) return i;
    event("ev=kv_lookup_wrong op=%s key=%d slot=%d", op, key, i);
    return -2;
}

static int do_get(message *m)
{
    int who = namespace_of(m->m_source);
    int i = find(who, m->m.i[0], "get");
    if (i == -2) return kv_doubt();
    if (i < 0) return ENOENT;
    m->m.i[1] = who == NONE ? kvt.val[i] : kvu.val[i];
    return OK;
}

/* Only the owner deletes: a caller names keys in its own namespace only,
 * so another's key is simply not there (ENOENT). Committed before it is
 * answered, like a PUT. */
static int do_del(message *m)
{
    int who = namespace_of(m->m_source), key = m->m.i[0];
    int i = find(who, key, "del");
    if (i == -2) return kv_doubt();
    if (i < 0) return ENOENT;
    m->m.i[1] = who == NONE ? kvt.val[i] : kvu.val[i];
    kv_set(who == NONE ? &kvt.used[i] : &kvu.used[i], 0);
    return OK;
}

static int do_stats(message *m)
{
    m->m.i[0] = kv_nr_keys();
    m->m.i[1] = (int)kvt.generation;
    m->m.i[2] = init_type;
    m->m.i[3] = sef_init_info()->restarts;
    m->m.i[4] = kv_user_keys(NONE);
    return OK;
}

static int init_fresh(int type, const struct sef_init_info *info)
{
    victim_show_system(info);
    init_type = type;
    kv_clear();
    kv_users_clear();
    /* overwrite a table an earlier instance of this label left in DS, so
     * a crash before the first PUT does not bring old keys back; the label
     * may not be published yet, which is harmless */
    (void)kv_layout_save();
    kv_window_committed();
    return OK;
}

/* Restart or live update: take the saved table back. Only "nothing was
 * saved" (ENOENT from DS) starts empty. Any other failure - DS gone or
 * failing under the restore, a layout this version cannot take, a table
 * that is not sane, DS having lost kept state - fails the init with its
 * cause: an empty table answered OK would lose every acknowledged PUT
 * without anyone hearing of it. RS then rolls an update back to the old
 * version, whose table is still in DS, or restarts again after backoff,
 * when DS may be back. */
static int init_restore(int type, const struct sef_init_info *info)
{
    victim_show_system(info);
    init_type = type;
    char found[5] = "";
    kv_clear();
    int r = kv_layout_load(found);
    if (r == ENOEXEC && type == SEF_INIT_LU) {
        char q[2 * sizeof found + 3];   /* read back from saved state: quoted */
        event("ev=kv_state_refused layout=%s found=%s", kv_layout, ev_quote(q, sizeof q, found));
        return ENOEXEC;
    }
    if (r != OK && r != ENOENT) {
        kv_clear();
        kv_users_clear();
        char q[2 * sizeof found + 3];
        event("ev=kv_restore_failed err=%d type=%d found=%s", r, type, ev_quote(q, sizeof q, found));
        return r;
    }
    kvt.generation++;
    kv_window_committed();
    event("ev=kv_restored keys=%d type=%d layout=%s user_keys=%d", kv_nr_keys(), type, kv_layout,
          kv_user_keys(NONE));
    return OK;
}

/* Every PUT is saved before it is answered; saving again here makes the
 * update safe even if a save was refused in between. */
static int lu_prepare(int state)
{
    (void)state;
    if (kv_layout_save() != OK) return EAGAIN;
    kv_window_committed();       /* the save named the user table: the same table */
    return OK;
}

/* What the update is about to carry over, for whoever debugs it. */
static void lu_dump(int state)
{
    event("ev=lu_state_dump label=kv state=%d layout=%s keys=%d generation=%u", state,
          kv_layout, kv_nr_keys(), kvt.generation);
}

int main(int argc, char **argv)
{
    int crashloop = victim_crashloop(argc, argv);
    sef_setcb_stateful(init_fresh, init_restore, lu_prepare);
    sef_setcb_lu_state_dump(lu_dump);
    sef_startup();
    if (crashloop) {
        event("ev=kv_fault kind=crashloop");
        victim_crash();
    }

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) continue;
        int r, key = m.m.i[0];
        kv_window_open();
        switch (m.m_type) {
        case KV_PUT:
            FI_POINT("kv.put");
            if (FI_ERROR("kv.put.err")) {
                r = FI_ERRNO(EIO);           /* the error path, with the code asked for */
                event("ev=kv_put_failed err=%d injected=1", r);
            } else {
                r = do_put(&m);
            }
            break;
        case KV_GET:
            FI_POINT("kv.get");
            r = do_get(&m);
            break;
        case KV_DEL:   r = do_del(&m); break;
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
        /* the request's changes are committed (checked, saved) or undone
         * before anything is answered */
        r = kv_window_close(r, key);
        if (FI_ERROR("kv.reply")) continue;     /* injected: answer lost */
        sef_reply(&m, r);
    }
}
