/* client.c - the workload client of kv and echo. It finds the victim by
 * label through DS and rides out the victim's faults the way a MINIX client
 * does: on an IPC or service error it waits, asks DS for the (possibly new)
 * endpoint and repeats the same request. Every answer is checked against
 * what this client wrote, so the oracle can tell a right answer from a
 * corrupted one (wrong) and from a write that recovery threw away (stale). */
#include "../../lib/libsys/syslib.h"
#include "../../include/services.h"
#include "../../lib/libc/libc.h"
#include "client.h"

#define MAX_TRIES 2000      /* per request; each retry waits about a tick */
#define KV_KEYS   64        /* the key space KV holds */
#define ECHO_WORDS 13       /* payload words echoed; word 13 is the counter */

struct wl_counts wl;
int wl_target;
const char *wl_label;
static int ep = NONE;                 /* the victim as DS last named it */
static int can_alarm, can_time = 1;

int client_set_target(const char *name)
{
    int t;
    if (!strcmp(name, "kv")) t = T_KV;
    else if (!strcmp(name, "echo")) t = T_ECHO;
    else return -1;
    if (!wl_label || t != wl_target) ep = NONE;     /* another victim: find it anew */
    wl_target = t;
    wl_label = t == T_KV ? "kv" : "echo";
    return 0;
}

void client_use_alarm(int yes) { can_alarm = yes; }
int client_endpoint(void) { return ep; }

/* The client asks DS itself. DS keeps its endpoint across restarts, so
 * DS_PROC_EP stays valid. */
static int ds_lookup(const char *name)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, name, LABEL_MAX);
    int r = ipc_sendrec(DS_PROC_EP, &m);
    if (r != OK) return r;
    return m.m_type != OK ? m.m_type : m.DS_ENDPT;
}

static int usable(int e) { return e >= 0 && e != ANY && e != NONE && e != SELF; }

void client_rebind(void)
{
    int e = ds_lookup(wl_label);
    if (!usable(e) || e == ep) return;
    if (ep != NONE) {
        wl.rebinds++;
        event("ev=wl_rebind target=%s old=%d new=%d", wl_label, ep, e);
    }
    ep = e;
}

/* DS names an endpoint other than the one in use: a restarted victim has
 * been published, so waiting longer is pointless. */
static int ds_has_news(void)
{
    int e = ds_lookup(wl_label);
    return usable(e) && e != ep;
}

/* Wait about a tick so RS has time to bring the victim back. A process
 * with alarms sleeps (idle time costs no host time under -icount); a user
 * process watches the clock, asking DS in between; with no clock either,
 * one DS round trip is the whole pause. */
void client_pause(void)
{
    message m;
    if (can_alarm) {
        if (sys_setalarm(1, 0) == OK && ipc_receive(CLOCK, &m) == OK) return;
        can_alarm = 0;
    }
    if (can_time) {
        if (sys_times(&m) == OK) {
            uint32_t t0 = m.T_UPTIME;
            for (int k = 0; k < 100000; k++) {
                if (ds_has_news()) return;
                if (sys_times(&m) != OK || m.T_UPTIME != t0) return;
            }
            return;
        }
        can_time = 0;
    }
    (void)ds_has_news();
}

int client_bind(void)
{
    for (int tries = 0; ep == NONE && tries < MAX_TRIES; tries++) {
        client_rebind();
        if (ep == NONE) client_pause();
    }
    return ep;
}

/* One request, repeated through DS until it is answered with OK (or with
 * the one error the caller expects as an answer). Returns that result, or
 * the last error once MAX_TRIES are used up. */
static int call(const message *req, message *rep, int answer_err)
{
    int r = EDEADSRCDST;
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        if (tries) { wl.retried++; client_pause(); client_rebind(); }
        if (ep == NONE) { r = ESRCH; continue; }
        *rep = *req;
        r = ipc_sendrec(ep, rep);
        if (r != OK) continue;              /* EDEADSRCDST, ECALLDENIED, ELOCKED... */
        r = rep->m_type;
        if (r == OK || (answer_err != OK && r == answer_err)) return r;
    }
    return r;
}

/* ---- kv ---------------------------------------------------------------- */
static int have[KV_KEYS], expect[KV_KEYS], first_item[KV_KEYS];

static int kv_value(int i) { return i * 7 + 1; }

static int kv_put(int key, int val)
{
    message q = { .m_type = KV_PUT }, a;
    q.m.i[0] = key; q.m.i[1] = val;
    return call(&q, &a, OK);
}

/* Was val written to key by this client before its latest write? Then a
 * read of it is a rollback: state lost, not corruption. */
static int kv_earlier(int key, int val)
{
    for (int i = first_item[key]; kv_value(i) < expect[key]; i += KV_KEYS)
        if (kv_value(i) == val) return 1;
    return 0;
}

/* 1 right, 0 wrong, 2 stale (gone or rolled back), -1 no answer */
static int kv_check(int key)
{
    message q = { .m_type = KV_GET }, a;
    q.m.i[0] = key;
    int r = call(&q, &a, ENOENT);
    if (r == ENOENT) return 2;               /* an acknowledged PUT is gone */
    if (r != OK) return -1;
    if (a.m.i[1] == expect[key]) return 1;
    return kv_earlier(key, a.m.i[1]) ? 2 : 0;
}

static void count(int c, int *good, const char *what, int key)
{
    if (c < 0) wl.lost++;
    else if (c == 0) {
        wl.wrong++;
        event("ev=wl_wrong target=kv key=%d want=%d during=%s", key, expect[key], what);
    } else if (c == 2) {
        wl.stale++;
        event("ev=wl_stale target=kv key=%d want=%d during=%s", key, expect[key], what);
    } else (*good)++;
}

static void kv_item(int i)
{
    int key = i % KV_KEYS, val = kv_value(i);
    if (kv_put(key, val) != OK) { wl.lost++; return; }
    if (!have[key]) first_item[key] = i;
    have[key] = 1;
    expect[key] = val;
    count(kv_check(key), &wl.answered, "load", key);
}

/* ---- echo -------------------------------------------------------------- */
static int last_counter = -1;

/* 1 right, 0 wrong, 2 stale (the counter went back), -1 no answer */
static int echo_once(int i)
{
    message q = { .m_type = ECHO_ECHO }, a;
    for (int w = 0; w < ECHO_WORDS; w++) q.m.i[w] = (i * 31 + w) ^ 0x5a5a;
    q.m.i[ECHO_WORDS] = -1;
    if (call(&q, &a, OK) != OK) return -1;
    for (int w = 0; w < ECHO_WORDS; w++)
        if (a.m.i[w] != q.m.i[w]) {
            event("ev=wl_wrong target=echo word=%d got=%d want=%d", w, a.m.i[w], q.m.i[w]);
            return 0;
        }
    int counter = a.m.i[ECHO_WORDS];
    if (counter <= last_counter) {
        event("ev=wl_stale target=echo counter=%d last=%d", counter, last_counter);
        last_counter = counter;
        return 2;
    }
    last_counter = counter;
    return 1;
}

static void echo_count(int c, int *good)
{
    if (c < 0) wl.lost++;
    else if (c == 0) wl.wrong++;
    else if (c == 2) wl.stale++;
    else (*good)++;
}

void client_item(int i)
{
    if (wl_target == T_KV) kv_item(i);
    else echo_count(echo_once(i), &wl.answered);
}

/* Everything acknowledged before must still read back: every key's latest
 * value for kv, a counter that never goes back for echo. */
void client_verify(void)
{
    if (wl_target == T_ECHO) {
        echo_count(echo_once(-1), &wl.verified);
        return;
    }
    for (int key = 0; key < KV_KEYS; key++)
        if (have[key]) count(kv_check(key), &wl.verified, "verify", key);
}
