/* hostile.c - an ordinary user program (started with `run hostile`) that
 * tries to take over the system: end RS, TTY and kv; order RS to restart,
 * refresh, stop and live-update services, one of them into this very
 * binary; make the victims crash or hang on request. Every attempt must be
 * refused. One event per attempt, `ev=attack name=... result=R`, then
 * `ev=hostile_done attacks=N refused=M`; the host test checks each result
 * and that the system kept running. */
#include "../lib/libsys/syslib.h"
#include "../lib/libc/libc.h"
#include "../include/services.h"

static int attacks, refused;

static void report(const char *name, int r)
{
    attacks++;
    if (r == EPERM) refused++;
    event("ev=attack name=%s result=%d", name, r);
}

static int lookup(const char *label)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, label, LABEL_MAX);
    if (ipc_sendrec(DS_PROC_EP, &m) != OK || m.m_type != OK) return NONE;
    return m.DS_ENDPT;
}

/* A request to RS as `service` would send it; the answer's type is the
 * result. */
static int rs_order(int type, const char *label, const char *binary)
{
    message m = { .m_type = type };
    m.SRV_POLICY = -1;
    m.SRV_STATE = 1;
    m.SRV_MAXTIME = 30;
    strlcpy(m.SRV_LABEL, label, LABEL_MAX);
    if (binary) strlcpy(m.SRV_ARGS, binary, SRV_ARGS_MAX);
    int r = ipc_sendrec(RS_PROC_EP, &m);
    return r == OK ? m.m_type : r;
}

/* A victim's crash or hang request; it answers only when it refuses. */
static int fault_request(const char *label, int type)
{
    int ep = lookup(label);
    if (ep == NONE) return ESRCH;
    message m = { .m_type = type };
    int r = ipc_sendrec(ep, &m);
    return r == OK ? m.m_type : r;
}

int main(void)
{
    /* 1: ending processes that are not ours */
    report("exit_rs", sys_exit_proc(RS_PROC_EP));
    report("exit_tty", sys_exit_proc(lookup("tty")));
    report("exit_kv", sys_exit_proc(lookup("kv")));
    /* 2: ordering RS about */
    report("rs_restart_echo", rs_order(RS_RESTART, "echo", 0));
    report("rs_refresh_ds", rs_order(RS_REFRESH, "ds", 0));
    report("rs_down_echo", rs_order(RS_DOWN, "echo", 0));
    report("rs_update_kv", rs_order(RS_UPDATE, "kv", 0));
    report("rs_up_kv", rs_order(RS_UP, "kv", 0));
    message g = { .m_type = RS_GCOV };
    int r = ipc_sendrec(RS_PROC_EP, &g);
    report("rs_gcov", r == OK ? g.m_type : r);
    /* 3: replacing PM with this program */
    report("rs_update_pm_hostile", rs_order(RS_UPDATE, "pm", "hostile"));
    /* the victims' faults on request */
    report("kv_crash", fault_request("kv", KV_CRASH));
    report("kv_hang", fault_request("kv", KV_HANG));
    report("echo_crash", fault_request("echo", ECHO_CRASH));
    report("echo_hang", fault_request("echo", ECHO_HANG));
    event("ev=hostile_done attacks=%d refused=%d", attacks, refused);
    return 0;
}
