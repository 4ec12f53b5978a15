/* client.c - the workload client of kv and echo. It finds the victim by
 * label through DS and rides out the victim's faults the way a MINIX client
 * does: on an IPC or service error it waits, asks DS for the (possibly new)
 * endpoint and repeats the same request. Every answer is checked against
 * what this client wrote, so the oracle can tell a right answer from a
 * corrupted one (wrong), a transiently stale one (stale: the service still
 * holds the write) and a write that is gone for good (gone: durable loss,
 * seen by the ledger below whatever the load does afterwards). */
#include "../../lib/libsys/syslib.h"
#include "../../include/services.h"
#include "../../lib/libc/libc.h"
#include "client.h"

#define MAX_TRIES 2000      /* per request; each retry waits about a tick */
/* A request's deadline in virtual time (100 ticks = 1 s): a request or a
 * reply lost inside the service or by the IPC path ends the sendrec with
 * ETIMEDOUT, and it is asked again like after the service's death. Long
 * against a healthy answer (a few ticks, a DS round trip included), short
 * against the experiment's limit, so a loss costs one second. */
#define REQ_DEADLINE 100
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
 * the last error once MAX_TRIES are used up.
 *
 * Every request this client makes is safe to ask again: a GET and echo's
 * ECHO change nothing the ledger checks (echo's counter only has to grow,
 * and a repeat grows it once more); a PUT writes a value that no other
 * item writes (kv_value), so a repeat of a PUT that had landed answers
 * that the key already holds this very value, which kv_item recognises
 * instead of judging it a loss or a corruption. A timed-out request is
 * thus asked again, whether it was lost before or after the service
 * applied it. */
static int call(const message *req, message *rep, int answer_err)
{
    int r = EDEADSRCDST, refused = 0;
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        if (tries) { wl.retried++; client_pause(); client_rebind(); }
        if (ep == NONE) { r = ESRCH; continue; }
        *rep = *req;
        r = ipc_sendrec_timed(ep, rep, REQ_DEADLINE);
        if (r == ETIMEDOUT) {
            wl.timeouts++;                  /* lost: the kernel reported it (ipc_timeout) */
            /* a victim that took the request and goes on without answering
             * may still answer RS's pings: tell RS, which acts if the kernel
             * saw the reply not come and the client may complain (the
             * scenario may; a user program is refused) */
            (void)rs_complain(ep, COMPLAIN_LOST_REPLY);
        }
        if (r != OK) continue;              /* EDEADSRCDST, ETIMEDOUT, ECALLDENIED, ELOCKED... */
        r = rep->m_type;
        if (r == OK || (answer_err != OK && r == answer_err)) return r;
        /* ENOSYS to a request of the victim's own protocol: it broke the
         * protocol, and may go on doing so while it answers RS's pings.
         * At every COMPLAIN_REFUSALS in a row (services.h: why that many)
         * tell RS, which acts if the kernel counted them too; asked again
         * if RS could not act yet (the victim in a restart). Any other
         * answer ends the streak, as it does in the kernel's count. */
        refused = r == ENOSYS ? refused + 1 : 0;
        if (refused && refused % COMPLAIN_REFUSALS == 0) (void)rs_complain(ep, COMPLAIN_REFUSED);
    }
    return r;
}

/* ---- kv ----------------------------------------------------------------
 * The ledger: expect[key] is the last value kv acknowledged for key. It is
 * checked whenever the key is rewritten (a PUT answers what the key held
 * before, os/servers/kv/main.c) and at every read-back, so a loss is seen
 * however long the load runs afterwards and however often it reuses keys:
 * an acknowledged write cannot vanish behind a later rewrite. */
static int have[KV_KEYS], expect[KV_KEYS], first_item[KV_KEYS];

static int kv_value(int i) { return i * 7 + 1; }

/* Was val written to key by this client before its latest write? Then a
 * read of it is a rollback, not corruption. */
static int kv_earlier(int key, int val)
{
    for (int i = first_item[key]; kv_value(i) < expect[key]; i += KV_KEYS)
        if (kv_value(i) == val) return 1;
    return 0;
}

enum { R_LOST = -1, R_WRONG = 0, R_RIGHT = 1, R_STALE = 2 };

/* What an answer about key says: held is 0 when kv says it holds nothing. */
static int kv_judge(int key, int held, int val)
{
    if (!held) return R_STALE;
    if (val == expect[key]) return R_RIGHT;
    return kv_earlier(key, val) ? R_STALE : R_WRONG;
}

static int kv_read(int key)
{
    message q = { .m_type = KV_GET }, a;
    q.m.i[0] = key;
    int r = call(&q, &a, ENOENT);
    if (r == ENOENT) return R_STALE;
    if (r != OK) return R_LOST;
    return kv_judge(key, 1, a.m.i[1]);
}

static void note_wrong(int key, const char *what)
{
    wl.wrong++;
    event("ev=wl_wrong target=kv key=%d want=%d during=%s", key, expect[key], what);
}

/* An acknowledged write is gone for good: counted once, then forgotten. */
static void note_gone(int key, const char *what)
{
    wl.gone++;
    event("ev=wl_gone target=kv key=%d want=%d during=%s", key, expect[key], what);
    have[key] = 0;
}

/* A read answered stale but the value is still held: a wrong answer of
 * the service, not lost state. */
static void note_stale(int key, const char *what)
{
    wl.stale++;
    event("ev=wl_stale target=kv key=%d want=%d during=%s", key, expect[key], what);
}

/* A read of key in the load or a read-back. A stale answer is read once
 * more: still stale, the write is gone (durable loss); right the second
 * time, it was a wrong answer (transient). */
static void kv_check(int key, int *good, const char *what)
{
    int c = kv_read(key);
    if (c == R_STALE) {
        int again = kv_read(key);
        if (again == R_STALE) { note_gone(key, what); return; }
        if (again == R_RIGHT) { note_stale(key, what); return; }
        c = again;
    }
    if (c == R_LOST) wl.lost++;
    else if (c == R_WRONG) note_wrong(key, what);
    else if (c == R_STALE) note_stale(key, what);
    else (*good)++;
}

static void kv_item(int i)
{
    int key = i % KV_KEYS, val = kv_value(i);
    message q = { .m_type = KV_PUT }, a;
    q.m.i[0] = key; q.m.i[1] = val;
    /* The workload's KV_KEYS keys always fit kv's table of as many slots,
     * so a PUT refused for room is a wrong answer of kv (a write landed on
     * another key and the table filled up), final, not a moment to wait
     * out: asked again, it was refused for the rest of the run and the
     * client waited for good (the last client_hung of EDFI seed 1, a
     * no_store in kv's main). */
    int r = call(&q, &a, ENOSPC);
    if (r == ENOSPC) { note_wrong(key, "refused"); return; }
    if (r != OK) { wl.lost++; return; }
    /* a PUT answering that the key already held this very value was tried
     * before and landed, its answer lost (a crash or a dropped reply after
     * the commit): what the key held before that try cannot be told. kv
     * commits a request whole or not at all (os/servers/kv/window.c), so an
     * unanswered PUT left the key either as it was or holding val, and an
     * error answer means it was undone: the ledger's expect[] moves only on
     * an OK, and either outcome of an unanswered try reads back right. */
    if (have[key] && !(a.m.i[2] && a.m.i[3] == val)) {
        int c = kv_judge(key, a.m.i[2], a.m.i[3]);
        if (c == R_STALE) note_gone(key, "rewrite");
        else if (c == R_WRONG) note_wrong(key, "rewrite");
    }
    if (!have[key]) first_item[key] = i;
    have[key] = 1;
    expect[key] = val;
    kv_check(key, &wl.answered, "load");
}

/* ---- echo --------------------------------------------------------------
 * echo's state is its counter of requests served, which never goes back.
 * An answer whose counter went back is asked once more: back again, the
 * count was lost (durable); past the old peak, that answer was wrong. */
static int last_counter = -1;

static int echo_ask(int i, int *counter)
{
    message q = { .m_type = ECHO_ECHO }, a;
    for (int w = 0; w < ECHO_WORDS; w++) q.m.i[w] = (i * 31 + w) ^ 0x5a5a;
    q.m.i[ECHO_WORDS] = -1;
    if (call(&q, &a, OK) != OK) return R_LOST;
    for (int w = 0; w < ECHO_WORDS; w++)
        if (a.m.i[w] != q.m.i[w]) {
            event("ev=wl_wrong target=echo word=%d got=%d want=%d", w, a.m.i[w], q.m.i[w]);
            return R_WRONG;
        }
    *counter = a.m.i[ECHO_WORDS];
    return R_RIGHT;
}

static void echo_once(int i, int *good)
{
    int counter = 0, c = echo_ask(i, &counter);
    if (c == R_RIGHT && counter <= last_counter) {
        int peak = last_counter, again = 0;
        c = echo_ask(i, &again);
        if (c == R_RIGHT && again <= peak) {
            wl.gone++;
            event("ev=wl_gone target=echo counter=%d last=%d", again, peak);
            last_counter = again;
            return;
        }
        if (c == R_RIGHT) {
            wl.stale++;
            event("ev=wl_stale target=echo counter=%d last=%d", counter, peak);
            last_counter = again;
            return;
        }
    } else if (c == R_RIGHT) {
        last_counter = counter;
    }
    if (c == R_LOST) wl.lost++;
    else if (c == R_WRONG) wl.wrong++;
    else (*good)++;
}

void client_item(int i)
{
    if (wl_target == T_KV) kv_item(i);
    else echo_once(i, &wl.answered);
}

/* Everything acknowledged before must still read back: every key's latest
 * value for kv, a counter that never goes back for echo. */
void client_verify(void)
{
    if (wl_target == T_ECHO) {
        echo_once(-1, &wl.verified);
        return;
    }
    for (int key = 0; key < KV_KEYS; key++)
        if (have[key]) kv_check(key, &wl.verified, "verify");
}

/* The workload's result line, the same for `wl` and the scenario driver. */
void client_report_done(void)
{
    event("ev=wl_done target=%s answered=%d retried=%d wrong=%d stale=%d gone=%d lost=%d"
          " verified=%d rebinds=%d timeouts=%d", wl_label, wl.answered, wl.retried, wl.wrong,
          wl.stale, wl.gone, wl.lost, wl.verified, wl.rebinds, wl.timeouts);
}
