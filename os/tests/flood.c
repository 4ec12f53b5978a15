/* flood.c - an ordinary user program (started with `run flood MODE S`)
 * that floods one server with requests for S seconds of virtual time, as
 * fast as the server answers:
 *   rslist    RS_LIST, a request RS obeys (every user may list services)
 *   rs        an order RS refuses (restart echo)
 *   ds        a publication DS refuses (echo's label)
 *   pm        a signal PM refuses: to pid P (argument 3), a process of
 *             another tree (`run flood park`, which waits for ever)
 *   kernel    a kernel call the kernel denies (ending RS)
 *   out       plain console output, one line per round
 * It ends with one event, `ev=flood_done mode=M n=N ok=K`: N requests
 * sent, K of them answered with the expected result. The host's flood
 * tests check that the server survived, kept supervising and said little. */
#include "testproto.h"
#include "../include/services.h"

static int target;             /* pm: the pid it may not signal */

static int request(const char *mode)
{
    message m = {0};
    if (!strcmp(mode, "rslist")) {
        m.m_type = RS_LIST;
        int r = ipc_sendrec(RS_PROC_EP, &m);
        return r == OK ? m.m_type == OK : 0;
    }
    if (!strcmp(mode, "rs")) {
        m.m_type = RS_RESTART;
        m.SRV_POLICY = -1;
        strlcpy(m.SRV_LABEL, "echo", LABEL_MAX);
        int r = ipc_sendrec(RS_PROC_EP, &m);
        return r == OK && m.m_type == EPERM;
    }
    if (!strcmp(mode, "ds")) {
        m.m_type = DS_PUBLISH;
        strlcpy(m.DS_LABEL, "echo", LABEL_MAX);
        m.DS_ENDPT = TTY_PROC_EP;
        int r = ipc_sendrec(DS_PROC_EP, &m);
        return r == OK && m.m_type == EPERM;
    }
    if (!strcmp(mode, "pm")) {
        m.m_type = PM_KILL;
        m.PM_PID = target;
        m.PM_SIG = SIGTERM;
        int r = ipc_sendrec(PM_PROC_EP, &m);
        return r == OK && m.m_type == EPERM;
    }
    if (!strcmp(mode, "kernel")) return sys_exit_proc(RS_PROC_EP) == EPERM;
    if (!strcmp(mode, "out")) {
        printf("flood flood flood flood flood flood flood flood flood flood flood\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "rslist";
    if (!strcmp(mode, "park")) {
        for (;;) {                          /* no children: PM never answers */
            message w = { .m_type = PM_WAIT };
            w.PM_PID = -1;
            ipc_sendrec(PM_PROC_EP, &w);
        }
    }
    uint32_t secs = argc > 2 ? (uint32_t)atoi(argv[2]) : 30;
    target = argc > 3 ? atoi(argv[3]) : 1;
    message t = {0};
    sys_times(&t);
    uint32_t hz = t.T_HZ ? t.T_HZ : 100, end = t.T_UPTIME + secs * hz;
    uint32_t n = 0, ok = 0;
    event("ev=flood_start mode=%s secs=%u", mode, secs);
    while (sys_uptime() < end) {
        ok += (uint32_t)request(mode);
        n++;
    }
    /* printing in a loop spends this second's output budget (8 KB, the
     * kernel's userout.c), which would swallow the result line too: it
     * waits for the next second, whose budget is untouched */
    if (!strcmp(mode, "out"))
        while (sys_uptime() < end + hz) {}
    event("ev=flood_done mode=%s n=%u ok=%u", mode, n, ok);
    return 0;
}
