/* main.c - wl, the workload client: `wl <kv|echo> <count> [crash@N|hang@N]`.
 * It drives a victim service, finds it by label through DS, and rides out
 * the victim's faults the way a MINIX client does: on an IPC or service
 * error it waits, asks DS for the (possibly new) endpoint and repeats the
 * same request. Every answer is checked, and after an injected fault the
 * values acknowledged before it must still be there. The result is one
 * event line, "ev=wl_done ...", for the tests to read. */
#include "../../lib/libsys/syslib.h"
#include "../../include/services.h"
#include "../../lib/libc/libc.h"

#define MAX_TRIES 2000      /* per request; each retry waits up to a tick */
#define KV_KEYS   64        /* the key space KV holds */
#define ECHO_WORDS 13       /* payload words echoed; word 13 is the counter */

enum { T_KV, T_ECHO };
static int target;
static const char *label;
static int ep = NONE;                 /* the victim as DS last named it */
static int answered, retried, wrong, lost, verified, rebinds;
static int can_alarm = 1, can_time = 1;

/* wl is a client, not a SEF service: it asks DS itself. DS keeps its
 * endpoint across restarts, so DS_PROC_EP stays valid. */
static int ds_lookup(const char *name)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, name, LABEL_MAX);
    int r = ipc_sendrec(DS_PROC_EP, &m);
    if (r != OK) return r;
    return m.m_type != OK ? m.m_type : m.DS_ENDPT;
}

static int usable(int e) { return e >= 0 && e != ANY && e != NONE && e != SELF; }

static void rebind(void)
{
    int e = ds_lookup(label);
    if (!usable(e) || e == ep) return;
    if (ep != NONE) {
        rebinds++;
        event("ev=wl_rebind target=%s old=%d new=%d", label, ep, e);
    }
    ep = e;
}

/* DS names an endpoint for the victim other than the one in use: a
 * restarted victim has been published, so waiting longer is pointless. */
static int ds_has_news(void)
{
    int e = ds_lookup(label);
    return usable(e) && e != ep;
}

/* Wait about a tick before trying again, so RS has time to bring the
 * victim back. Best is an alarm. A user process has neither SETALARM nor
 * the RECEIVE trap, so it watches the clock instead, asking DS in between
 * (which also yields the CPU) and stopping early once DS names a new
 * endpoint; with no clock either, one DS round trip is the whole pause. */
static void pause_tick(void)
{
    message m;
    if (can_alarm) {
        if (sys_setalarm(1, 0) == OK) {
            if (ipc_receive(CLOCK, &m) == OK) return;
            sys_setalarm(0, 0);
        }
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

/* One request, repeated through DS until it is answered with OK (or with
 * the one error the caller expects as an answer). Returns that result, or
 * the last error once MAX_TRIES are used up. */
static int call(const message *req, message *rep, int answer_err)
{
    int r = EDEADSRCDST;
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        if (tries) { retried++; pause_tick(); rebind(); }
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
static int have[KV_KEYS], expect[KV_KEYS];

static int kv_put(int key, int val)
{
    message q = { .m_type = KV_PUT }, a;
    q.m.i[0] = key; q.m.i[1] = val;
    return call(&q, &a, OK);
}

/* 1: read back right, 0: wrong, -1: no answer */
static int kv_check(int key, int val)
{
    message q = { .m_type = KV_GET }, a;
    q.m.i[0] = key;
    int r = call(&q, &a, ENOENT);
    if (r == ENOENT) return 0;               /* an acknowledged PUT is gone */
    if (r != OK) return -1;
    return a.m.i[1] == val;
}

static void kv_item(int i)
{
    int key = i % KV_KEYS, val = i * 7 + 1;
    if (kv_put(key, val) != OK) { lost++; return; }
    have[key] = 1;
    expect[key] = val;
    int c = kv_check(key, val);
    if (c < 0) lost++;
    else if (c == 0) { wrong++; event("ev=wl_wrong target=kv key=%d want=%d", key, val); }
    else answered++;
}

/* After a fault: everything acknowledged before it must read back. */
static void kv_verify(void)
{
    for (int key = 0; key < KV_KEYS; key++) {
        if (!have[key]) continue;
        int c = kv_check(key, expect[key]);
        if (c < 0) lost++;
        else if (c == 0) { wrong++; event("ev=wl_wrong target=kv key=%d want=%d after=fault", key, expect[key]); }
        else verified++;
    }
}

/* ---- echo -------------------------------------------------------------- */
static int last_counter = -1;

/* 1: right, 0: wrong, -1: no answer */
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
        event("ev=wl_wrong target=echo counter=%d last=%d", counter, last_counter);
        return 0;
    }
    last_counter = counter;
    return 1;
}

static void echo_item(int i)
{
    int c = echo_once(i);
    if (c < 0) lost++;
    else if (c == 0) wrong++;
    else answered++;
}

/* ---- fault injection --------------------------------------------------- */
/* The victim does not answer a fault request, so it goes with a plain
 * send: it returns once the victim has taken the message. A client
 * allowed only SENDREC falls back to it: the victim's death (crash, or RS
 * killing it for hanging) then ends the call with EDEADSRCDST. */
static void inject(int crash, int at)
{
    message m = { .m_type = target == T_KV ? (crash ? KV_CRASH : KV_HANG)
                                           : (crash ? ECHO_CRASH : ECHO_HANG) };
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        if (tries) { pause_tick(); rebind(); }
        if (ep == NONE) continue;
        message s = m;
        int r = ipc_send(ep, &s);
        if (r == ETRAPDENIED) {
            s = m;
            r = ipc_sendrec(ep, &s);
            if (r == EDEADSRCDST) r = OK;
        }
        if (r == OK) {
            event("ev=wl_fault target=%s kind=%s at=%d ep=%d", label, crash ? "crash" : "hang", at, ep);
            return;
        }
    }
    event("ev=wl_fault target=%s kind=%s at=%d ep=%d result=undelivered",
          label, crash ? "crash" : "hang", at, ep);
}

static void usage(void)
{
    printf("usage: wl <kv|echo> <count> [crash@N|hang@N]\n");
    event("ev=wl_error reason=usage");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3) usage();
    if (!strcmp(argv[1], "kv")) target = T_KV;
    else if (!strcmp(argv[1], "echo")) target = T_ECHO;
    else usage();
    label = argv[1];
    char *end;
    long count = strtol(argv[2], &end, 10);
    if (*end || end == argv[2] || count < 0 || count > 1000000) usage();
    int fault_at = -1, crash = 0;
    if (argc > 3) {
        const char *f = argv[3];
        if (!strncmp(f, "crash@", 6)) { crash = 1; f += 6; }
        else if (!strncmp(f, "hang@", 5)) f += 5;
        else usage();
        long n = strtol(f, &end, 10);
        if (*end || end == f || n < 0) usage();
        fault_at = (int)n;
    }

    for (int tries = 0; ep == NONE && tries < MAX_TRIES; tries++) {
        rebind();
        if (ep == NONE) pause_tick();
    }
    event("ev=wl_start target=%s count=%ld ep=%d fault=%s at=%d", label, count, ep,
          fault_at < 0 ? "none" : crash ? "crash" : "hang", fault_at);

    for (int i = 0; i < count; i++) {
        if (i == fault_at) {
            inject(crash, i);
            if (target == T_KV) kv_verify();
            else {
                int c = echo_once(-1);
                if (c < 0) lost++;
                else if (c == 0) wrong++;
                else verified++;
            }
        }
        if (target == T_KV) kv_item(i);
        else echo_item(i);
    }

    event("ev=wl_done target=%s answered=%d retried=%d wrong=%d lost=%d verified=%d rebinds=%d",
          label, answered, retried, wrong, lost, verified, rebinds);
    exit(0);
}
