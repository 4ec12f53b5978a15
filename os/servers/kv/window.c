/* window.c - kv's recovery window (OSIRIS-style, at request boundaries).
 * A request changes the table in memory through kv_set, which keeps an
 * undo log of the old values; at the end of the request the change is
 * committed - checked and saved in DS, the copy a restart takes back - or
 * rolled back from the log. So a request abandoned half-way (an error
 * path, a failed save, a fault caught by the check) leaves no half-applied
 * change in memory for a later request's save to make durable, and a crash
 * half-way leaves the saved copy as the last whole request left it.
 * kv also keeps the committed copy itself: a table that differs from it
 * by more than the request's logged changes was corrupted by something
 * else (a stray write), and saving it whole would make that durable. */
#include "kv.h"
#include "window.h"
#include "../../lib/libc/libc.h"
#include "../../lib/sef/sef.h"
#include "../victim.h"

/* The most changes one request makes: a PUT's four fields, plus a
 * reclaim dropping every user slot. */
#define LOG_MAX (KV_USER_SLOTS + 8)

/* old: what the field held before; now: what the request wrote (a value
 * in memory that differs from it was written by something else) */
static struct { int32_t *field; int32_t old, now; } undo_log[LOG_MAX];
static int logged, overflow;
static int doubted, doubts_in_a_row;
static struct kv_table kvt_committed;
static struct kv_users kvu_committed;
static int have_committed;

void kv_window_committed(void)
{
    kvt_committed = kvt;
    kvu_committed = kvu;
    have_committed = 1;
}

static int same_as_committed(void)
{
    return !memcmp(&kvt, &kvt_committed, sizeof kvt) && !memcmp(&kvu, &kvu_committed, sizeof kvu);
}

static void __attribute__((noreturn)) corrupt(const char *when)
{
    event("ev=kv_fault kind=table_changed when=%s", when);
    victim_crash();
}

/* The committed copy's field at the same place as f in kvt or kvu. */
static int32_t *committed_field(int32_t *f)
{
    uint8_t *p = (uint8_t *)f;
    if (p >= (uint8_t *)&kvt && p < (uint8_t *)(&kvt + 1))
        return (int32_t *)((uint8_t *)&kvt_committed + (p - (uint8_t *)&kvt));
    return (int32_t *)((uint8_t *)&kvu_committed + (p - (uint8_t *)&kvu));
}

void kv_window_open(void)
{
    if (have_committed && !same_as_committed()) corrupt("between");
    logged = 0;
    overflow = 0;
    doubted = 0;
}

int kv_doubt(void)
{
    if (!doubted) doubts_in_a_row++;
    doubted = 1;
    if (doubts_in_a_row >= DOUBT_MAX) {
        event("ev=kv_fault kind=table_corrupt");
        victim_crash();
    }
    return EAGAIN;
}

void kv_set(int32_t *field, int32_t val)
{
    if (logged == LOG_MAX) { overflow = 1; return; }    /* refused: the request fails */
    undo_log[logged].field = field;
    undo_log[logged].old = *field;
    undo_log[logged].now = val;
    logged++;
    *field = val;
}

/* Newest first, so a field written twice gets its oldest value back. */
static void roll_back(void)
{
    while (logged > 0) {
        logged--;
        *undo_log[logged].field = undo_log[logged].old;
    }
}

/* Is workload slot i sane: a plain flag, and if used its key held by no
 * other used slot? A separate loop from kv_slot_of on purpose: a fault in
 * the look-up that put the key in a second slot must not blind the check. */
static int workload_slot_sane(int i)
{
    if (kvt.used[i] != 0 && kvt.used[i] != 1) return 0;
    if (!kvt.used[i]) return 1;
    for (int j = 0; j < KV_KEYS; j++)
        if (j != i && kvt.used[j] && kvt.key[j] == kvt.key[i]) return 0;
    return 1;
}

static int user_slot_sane(int i)
{
    if (kvu.used[i] != 0 && kvu.used[i] != 1) return 0;
    if (!kvu.used[i]) return 1;
    for (int j = 0; j < KV_USER_SLOTS; j++)
        if (j != i && kvu.used[j] && kvu.owner[j] == kvu.owner[i] && kvu.key[j] == kvu.key[i])
            return 0;
    return 1;
}

/* The value a field had when the window opened: its oldest logged value,
 * or what it holds if the request did not change it. */
static int32_t at_open(int32_t *f)
{
    for (int k = 0; k < logged; k++) if (undo_log[k].field == f) return undo_log[k].old;
    return *f;
}

/* A workload key is written only into a free slot or over itself, so a
 * slot that was in use when the request began still holds its key: a
 * request that replaced another key (a look-up that found the wrong slot)
 * would lose that key's acknowledged value. */
static int workload_key_kept(int i)
{
    return !at_open(&kvt.used[i]) || at_open(&kvt.key[i]) == kvt.key[i];
}

/* The slot of a logged field, in whichever table holds it. */
static int touched_sane(const int32_t *f)
{
    if (f >= kvt.used && f < kvt.val + KV_KEYS) {
        int i = (int)(f - kvt.used) % KV_KEYS;
        return workload_slot_sane(i) && workload_key_kept(i);
    }
    if (f >= kvu.used && f < kvu.val + KV_USER_SLOTS)
        return user_slot_sane((int)(f - kvu.used) % KV_USER_SLOTS);
    /* a field outside both tables: a corrupted pointer, never a change
     * a request may make */
    return 0;
}

static int close_window(int r, int key);

int kv_window_close(int r, int key)
{
    r = close_window(r, key);
    if (!doubted) doubts_in_a_row = 0;
    return r;
}

static int close_window(int r, int key)
{
    if (overflow) {
        event("ev=kv_window_undone key=%d why=log_full writes=%d", key, logged);
        roll_back();
        return EIO;
    }
    if (logged == 0) return r;
    if (r != OK) {
        event("ev=kv_window_undone key=%d why=failed err=%d writes=%d", key, r, logged);
        roll_back();
        return r;
    }
    for (int k = 0; k < logged; k++)
        if (!touched_sane(undo_log[k].field)) {
            event("ev=kv_window_undone key=%d why=insane writes=%d", key, logged);
            roll_back();
            return kv_doubt();
        }
    /* the table must be the committed copy plus this request's changes
     * (every logged field is in kvt or kvu: touched_sane said so) */
    if (have_committed) {
        /* a field's oldest logged value is what the request found there:
         * if that is not the committed value, something else wrote it
         * first, and what the request answered from it (a PUT's previous
         * value) is not to be trusted either */
        for (int k = 0; k < logged; k++) {
            int first = 1;
            for (int j = 0; j < k && first; j++) first = undo_log[j].field != undo_log[k].field;
            if (first && undo_log[k].old != *committed_field(undo_log[k].field)) corrupt("request");
        }
        for (int k = 0; k < logged; k++) *committed_field(undo_log[k].field) = undo_log[k].now;
        if (!same_as_committed()) corrupt("request");
    }
    int s = kv_layout_save();
    if (s != OK) {
        event("ev=kv_save_failed key=%d err=%d", key, s);
        roll_back();
        if (have_committed) kv_window_committed();     /* back to what DS holds */
        return s;
    }
    logged = 0;          /* committed: the saved copy is the table now */
    if (have_committed) kv_window_committed();
    return OK;
}
