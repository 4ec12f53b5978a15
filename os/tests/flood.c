/* flood.c - an ordinary user program (started with `run flood MODE S`)
 * that floods the system for S seconds of virtual time, as fast as it is
 * answered. Every request a user may send RS, each answered with what a
 * user gets (rs_requests below):
 *   rslist getpub           obeyed (OK)
 *   rs update sysctl gcov   orders RS refuses (EPERM)
 *   hello initres luready   the services' init and update protocol (EPERM)
 *   srvpid                  PM's private answer to RS (EPERM)
 *   rsunknown               a request RS does not know (ENOSYS)
 * and the rest:
 *   ds        a publication DS refuses (echo's label)
 *   pmtree    PM's process tree (PM_TREE, printed, answered)
 *   pm        a signal PM refuses: to pid P (argument 3), a process of
 *             another tree (`run flood park`, which waits for ever)
 *   kernel    a kernel call the kernel denies (ending RS)
 *   out       plain console output, one line per round
 *   tty       the same through TTY (TTY_WRITE, 48 bytes, answered)
 *   spin      a busy loop (it asks the time once every 100,000 rounds)
 *   echo      an IPC storm: echo requests, each answered
 *   dslookup  an IPC storm on DS: lookups of kv, each answered
 * S = 0 sends one request. It ends with one event, `ev=flood_done mode=M n=N ok=K`: N requests
 * sent, K of them answered with the expected result. The host's flood
 * tests check that the servers survived, kept supervising and said
 * little, and that no service looked hung. */
#include "testproto.h"
#include "../include/services.h"

static int target;             /* pm: the pid it may not signal */

/* The RS requests a user may send, and the answer a user gets. */
static const struct rs_flood {
    const char *mode;
    int type, expect;
    const char *label;          /* SRV_LABEL, for the orders */
} rs_requests[] = {
    { "rslist",    RS_LIST,        OK,     0 },
    { "getpub",    RS_GETPUB,      OK,     0 },
    { "rs",        RS_RESTART,     EPERM,  "echo" },
    { "update",    RS_UPDATE,      EPERM,  "echo" },
    { "sysctl",    RS_SYSCTL,      EPERM,  0 },
    { "gcov",      RS_GCOV,        EPERM,  0 },
    { "hello",     RS_INIT_HELLO,  EPERM,  0 },
    { "initres",   RS_INIT_RESULT, EPERM,  0 },
    { "luready",   RS_LU_READY,    EPERM,  0 },
    { "srvpid",    RS_SRV_PID,     EPERM,  0 },
    { "rsunknown", RS_BASE + 0x3f, ENOSYS, 0 },
};
#define N_RS_REQUESTS (int)(sizeof rs_requests / sizeof rs_requests[0])

static int rs_request(const struct rs_flood *f, uint32_t n)
{
    message m = {0};
    m.m_type = f->type;
    if (f->type == RS_GETPUB) m.PUB_INDEX = (int)(n % 8);
    if (f->type == RS_SRV_PID) { m.SRV_PID_EP = RS_PROC_EP; m.SRV_PID_PID = 666; }
    if (f->type == RS_RESTART) m.SRV_POLICY = -1;
    if (f->label) strlcpy(m.SRV_LABEL, f->label, LABEL_MAX);
    int r = ipc_sendrec(RS_PROC_EP, &m);
    return r == OK && m.m_type == f->expect;
}

static int ds_lookup(const char *label)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, label, LABEL_MAX);
    int r = ipc_sendrec(DS_PROC_EP, &m);
    return r == OK && m.m_type == OK ? m.DS_ENDPT : NONE;
}

static int echo_ep = NONE;

static int request(const char *mode, uint32_t n)
{
    message m = {0};
    for (int i = 0; i < N_RS_REQUESTS; i++)
        if (!strcmp(mode, rs_requests[i].mode)) return rs_request(&rs_requests[i], n);
    if (!strcmp(mode, "ds")) {
        m.m_type = DS_PUBLISH;
        strlcpy(m.DS_LABEL, "echo", LABEL_MAX);
        m.DS_ENDPT = TTY_PROC_EP;
        int r = ipc_sendrec(DS_PROC_EP, &m);
        return r == OK && m.m_type == EPERM;
    }
    if (!strcmp(mode, "pmtree")) {
        m.m_type = PM_TREE;
        int r = ipc_sendrec(PM_PROC_EP, &m);
        return r == OK && m.m_type == OK;
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
    if (!strcmp(mode, "tty")) {
        m.m_type = TTY_WRITE;
        m.m.i[0] = 48;
        memset(&m.m.c[4], 'f', 47);
        m.m.c[4 + 47] = '\n';
        int r = ipc_sendrec(TTY_PROC_EP, &m);
        return r == OK && m.m_type == OK;
    }
    if (!strcmp(mode, "spin")) {
        for (volatile uint32_t i = 0; i < 100000; i++) {}
        return 1;
    }
    if (!strcmp(mode, "echo")) {
        if (echo_ep == NONE) echo_ep = ds_lookup("echo");
        m.m_type = ECHO_ECHO;
        int r = ipc_sendrec(echo_ep, &m);
        if (r != OK || m.m_type != OK) { echo_ep = NONE; return 0; }   /* rebind */
        return 1;
    }
    if (!strcmp(mode, "dslookup")) return ds_lookup("kv") != NONE;
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
    do {                        /* S = 0: one request (a server's next refusal says its count) */
        ok += (uint32_t)request(mode, n);
        n++;
    } while (sys_uptime() < end);
    /* printing in a loop spends this second's output budget (8 KB, the
     * kernel's userout.c), which would swallow the result line too: it
     * waits for the next second, whose budget is untouched. PM's tree and
     * RS's list are printed on the asker's budget too (sys_info.c), so
     * they wait as well; without it the result line was lost whenever
     * the flood happened to start late in a budget second */
    if (!strcmp(mode, "out") || !strcmp(mode, "tty") || !strcmp(mode, "pmtree")
        || !strcmp(mode, "rslist"))
        while (sys_uptime() < end + hz) {}
    event("ev=flood_done mode=%s n=%u ok=%u", mode, n, ok);
    return 0;
}
