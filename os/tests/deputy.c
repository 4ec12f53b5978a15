/* deputy.c - an ordinary user program (started with `run deputy ...`) that
 * tries to get other programs' authority or the workload's data:
 *   deputy spawn   has PM start the fault-injection tool wl 20 times with
 *                  a crash request at item 0 (`wl kv 1 crash@0`), waiting
 *                  for each: the confused deputy. wl must run with this
 *                  program's rights, so kv must refuse every crash.
 *   deputy fill    80 PUTs of keys nobody else uses (filling kv's table),
 *                  then a PUT and a GET of every one of the workload's
 *                  keys (0..63), then deletes: its own key, and a key it
 *                  never wrote.
 * One event per phase with what kv answered; the host test judges them. */
#include "../lib/libsys/syslib.h"
#include "../lib/libc/libc.h"
#include "../include/services.h"

static int pm_call(message *m)
{
    int r = ipc_sendrec(PM_PROC_EP, m);
    return r == OK ? m->m_type : r;
}

static int lookup(const char *label)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, label, LABEL_MAX);
    if (ipc_sendrec(DS_PROC_EP, &m) != OK || m.m_type != OK) return NONE;
    return m.DS_ENDPT;
}

static int kv_call(int type, int key, int val, message *a)
{
    int ep = lookup("kv");
    if (ep == NONE) return ESRCH;
    message m = { .m_type = type };
    m.m.i[0] = key;
    m.m.i[1] = val;
    int r = ipc_sendrec(ep, &m);
    if (a) *a = m;
    return r == OK ? m.m_type : r;
}

static void spawn_wl(void)
{
    int started = 0, failed = 0;
    for (int i = 0; i < 20; i++) {
        message m = { .m_type = PM_SPAWN };
        strlcpy(m.PM_NAME, "wl", LABEL_MAX);
        strlcpy(m.PM_ARGS, "kv 1 crash@0", PM_ARGS_MAX);
        int pid = pm_call(&m);
        if (pid < 0) { failed++; continue; }
        started++;
        message w = { .m_type = PM_WAIT };     /* one at a time: the tree limit */
        w.PM_PID = pid;
        pm_call(&w);
    }
    event("ev=deputy_spawn started=%d failed=%d", started, failed);
}

static void fill(void)
{
    int ok = 0, err = OK;
    for (int k = 0; k < 80; k++) {
        int r = kv_call(KV_PUT, 1000 + k, 666, 0);
        if (r == OK) ok++;
        else err = r;
    }
    event("ev=deputy_fill ok=%d err=%d", ok, err);
    /* the workload's keys: whatever is written must land in this
     * program's own namespace, and nothing of the workload's be read */
    int put_ok = 0, put_err = OK, seen = 0, get_err = OK;
    for (int k = 0; k < 64; k++) {
        message a;
        int r = kv_call(KV_PUT, k, 666, &a);
        if (r == OK) { put_ok++; seen += a.m.i[2] && a.m.i[3] != 666; }
        else put_err = r;
        r = kv_call(KV_GET, k + 32, 0, &a);
        if (r == OK && a.m.i[1] != 666) seen++;
        else if (r != OK) get_err = r;
    }
    event("ev=deputy_scribble put_ok=%d put_err=%d seen=%d get_err=%d", put_ok, put_err, seen,
          get_err);
    /* delete: a key of its own (then it is gone, and its quota share is
     * free again), and one it never wrote (the workload's key 50) */
    int own = kv_call(KV_DEL, 1000, 0, 0);
    int gone = kv_call(KV_GET, 1000, 0, 0);
    int again = kv_call(KV_PUT, 1079, 1, 0);
    int other = kv_call(KV_DEL, 50, 0, 0);
    event("ev=deputy_del own=%d gone=%d again=%d other=%d", own, gone, again, other);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "spawn")) spawn_wl();
    else if (argc > 1 && !strcmp(argv[1], "fill")) fill();
    else printf("usage: deputy spawn|fill\n");
    event("ev=deputy_done");
    return 0;
}
