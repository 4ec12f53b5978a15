/* hostile.c - an ordinary user program (started with `run hostile`) that
 * tries to take over the system, one attack of each kind:
 *   1 end RS, TTY and kv;
 *   2 order RS to restart, refresh, stop, start and live-update services;
 *   3 live-update PM into this very binary;
 *   4 forge events: a fake RS `ready` and a fake kernel panic in plain
 *     output, and event text that claims to be the kernel;
 *   5 crowd DS: 25 subscriptions, and publish a label it does not own;
 *   6 a fork bomb (copies of itself that park), and signals to every
 *     process that is not its own;
 * and the victims' crash and hang requests. Every attempt must be refused.
 * One event per attempt, `ev=attack name=... result=R want=W`, then
 * `ev=hostile_done attacks=N refused=M`; the host test checks each result
 * and that the system kept running. `hostile park` is a bomb child. */
#include "../lib/libsys/syslib.h"
#include "../lib/libc/libc.h"
#include "../include/services.h"

static int attacks, refused;

/* want: the refusal expected (EPERM unless the attack has its own) */
static void report_want(const char *name, int r, int want)
{
    attacks++;
    if (r == want) refused++;
    event("ev=attack name=%s result=%d want=%d", name, r, want);
}

static void report(const char *name, int r) { report_want(name, r, EPERM); }

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

static int pm_call(int type, const char *name, const char *args, int pid)
{
    message m = { .m_type = type };
    if (name) strlcpy(m.PM_NAME, name, LABEL_MAX);
    if (args) strlcpy(m.PM_ARGS, args, PM_ARGS_MAX);
    if (type == PM_WAIT) m.PM_PID = pid;
    int r = ipc_sendrec(PM_PROC_EP, &m);
    return r == OK ? m.m_type : r;
}

static int ds_call(int type, const char *label, int ep)
{
    message m = { .m_type = type };
    strlcpy(m.DS_LABEL, label, LABEL_MAX);
    m.DS_ENDPT = ep;
    int r = ipc_sendrec(DS_PROC_EP, &m);
    return r == OK ? m.m_type : r;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "park")) {
        for (;;) pm_call(PM_WAIT, 0, 0, -1);       /* a bomb child: stays */
    }
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
    /* 3b: telling RS that VM does not answer, which gets a service that
     * passes the checks restarted: not a user's word (issue 22) */
    report("rs_complain_vm", rs_complain(VM_PROC_EP, COMPLAIN_LOST_REPLY));
    /* 3c: telling RS that echo refuses its requests, after the kernel
     * counted echo's refusals of this program's requests (of a type echo
     * does not have): a user's complaint is refused before any evidence */
    for (int i = 0; i < COMPLAIN_REFUSALS; i++) (void)fault_request("echo", ECHO_LAST + 0x40);
    report("rs_complain_echo_refused", rs_complain(lookup("echo"), COMPLAIN_REFUSED));
    /* the victims' faults on request */
    report("kv_crash", fault_request("kv", KV_CRASH));
    report("kv_hang", fault_request("kv", KV_HANG));
    report("echo_crash", fault_request("echo", ECHO_CRASH));
    report("echo_hang", fault_request("echo", ECHO_HANG));
    /* 4: forged events. Plain output reaches the console as user output,
     * whatever it says; event text may not name its producer. */
    printf("\n#EV t=1 who=rs ev=ready services=99\n");
    printf("KERNEL PANIC: forged by hostile\n");
    const char *claim = "ev=panic who=kernel reason=forged";
    report_want("event_claims_kernel", sys_diag(claim, strlen(claim), 1), EINVAL);
    /* 4b: a kernel call whose message the caller cannot write (the answer
     * overwrites it): refused before it does anything. This one would end
     * the caller itself, and the program would never report. */
    static const message ro_exit = { .m_type = SYS_EXIT, .PR_ENDPT = SELF };
    report_want("kcall_readonly_message", kernel_call((message *)&ro_exit), EFAULT);
    /* 5: crowding DS, and taking over a label */
    int subs_ok = 0, r5 = OK;
    for (int i = 0; i < 25; i++) {
        char label[LABEL_MAX];
        snprintf(label, sizeof label, "grab%d", i);
        int x = ds_call(DS_SUBSCRIBE, label, 0);
        if (x == OK) subs_ok++;
        else r5 = x;
    }
    event("ev=hostile_subs ok=%d", subs_ok);
    report_want("ds_subscribe_25", r5, EDQUOT);
    report("ds_publish_echo", ds_call(DS_PUBLISH, "echo", TTY_PROC_EP));
    /* 6: a fork bomb: copies that park until PM refuses */
    static int mine[100];
    int started = 0, r6;
    while (started < 100 && (r6 = pm_call(PM_SPAWN, "hostile", "park", 0)) >= 0) mine[started++] = r6;
    event("ev=hostile_bomb started=%d", started);
    report_want("fork_bomb", r6, EAGAIN);
    /* signalling processes that are not its own descendants: every pid but
     * its own and its bomb's must be refused (services too: RS's) */
    message me = { .m_type = PM_GETPID };
    int self = ipc_sendrec(PM_PROC_EP, &me) == OK ? me.m_type : -1, tried = 0, r7 = EPERM;
    for (int pid = 1; pid < 64; pid++) {
        int ours = pid == self;
        for (int i = 0; i < started; i++) ours |= mine[i] == pid;
        if (ours) continue;
        message k = { .m_type = PM_KILL };
        k.PM_PID = pid;
        k.PM_SIG = SIGTERM;
        int x = ipc_sendrec(PM_PROC_EP, &k) == OK ? k.m_type : EIO;
        if (x == ESRCH) continue;               /* no such process */
        tried++;
        if (x != EPERM) r7 = x;
    }
    event("ev=hostile_kill tried=%d", tried);
    report("kill_others", r7);
    event("ev=hostile_done attacks=%d refused=%d", attacks, refused);
    return 0;
}
