/* bomb.c - a fork bomb, for PM's per-tree process limit.
 *   bomb spawn     start another bomb spawn, again and again; when PM
 *                  refuses, say so (ev=bomb_refused) and park in PM_WAIT
 *                  for children that never end.
 *   bomb reap N    start N short-lived children one after another and wait
 *                  for each, so every one is reaped (ev=bomb_reaped).
 *   bomb exit      end at once.
 *   bomb park      stay, waiting for children it never has (the crowd
 *                  test's user processes, os/tests/crowd.c).
 *   bomb odd       fill its tree with parked children, then ask PM for
 *                  programs and RS to stop services whose names carry `"`
 *                  and key=value text: both refuse, and their events must
 *                  keep the name whole inside its field
 *                  (tests/test_forged_events.py). */
#include "testproto.h"
#include "../include/services.h"

static int spawn_named(const char *name, const char *args)
{
    message m = { .m_type = PM_SPAWN };
    strlcpy(m.PM_NAME, name, LABEL_MAX);
    strlcpy(m.PM_ARGS, args, PM_ARGS_MAX);
    int r = ipc_sendrec(PM_PROC_EP, &m);
    return r != OK ? r : m.m_type;
}

static int spawn(const char *args)
{
    return spawn_named("bomb", args);
}

static int rs_down(const char *label)
{
    message m = { .m_type = RS_DOWN };
    strlcpy(m.SRV_LABEL, label, LABEL_MAX);
    int r = ipc_sendrec(RS_PROC_EP, &m);
    return r != OK ? r : m.m_type;
}

static int wait_for(int pid, int *status)
{
    message m = { .m_type = PM_WAIT };
    m.PM_PID = pid;
    int r = ipc_sendrec(PM_PROC_EP, &m);
    if (r != OK) return r;
    if (status) *status = m.PM_STATUS;
    return m.m_type == OK ? m.PM_PID : m.m_type;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "spawn";
    message m = { .m_type = PM_GETPID };
    int pid = ipc_sendrec(PM_PROC_EP, &m) == OK ? m.m_type : -1;
    if (!strcmp(mode, "exit")) return 0;
    if (!strcmp(mode, "park"))
        for (;;) wait_for(-1, 0);      /* no children: PM never answers */
    if (!strcmp(mode, "reap")) {
        int n = argc > 2 ? atoi(argv[2]) : 10, reaped = 0, failed = 0, err = 0;
        for (int i = 0; i < n; i++) {
            int child = spawn("exit"), status = -1;
            if (child < 0) { failed++; err = child; continue; }
            if (wait_for(child, &status) == child && status == 0) reaped++;
            else failed++;
        }
        event("ev=bomb_reaped pid=%d n=%d reaped=%d failed=%d err=%d", pid, n, reaped, failed, err);
        return 0;
    }
    int started = 0, r;
    if (!strcmp(mode, "odd")) {
        while (spawn("park") >= 0) started++;
        int r1 = spawn_named("x reason=ok", ""), r2 = spawn_named("y\" procs=0", "");
        int r3 = rs_down("kv req=list"), r4 = rs_down("kv\" by=0");
        event("ev=bomb_refused pid=%d started=%d err=%d", pid, started,
              r1 == EAGAIN && r2 == EAGAIN && r3 == EPERM && r4 == EPERM ? OK : EINVAL);
        for (;;) wait_for(-1, 0);
    }
    while ((r = spawn("spawn")) >= 0) started++;
    event("ev=bomb_refused pid=%d started=%d err=%d", pid, started, r);
    for (;;) wait_for(-1, 0);       /* its children never end: parked */
}
