/* main.c - the scenario driver: one experiment, run inside the guest.
 *
 * A boot process that RS starts once every boot service is up. Its boot
 * arguments are the experiment's steps, run in order; each step is marked
 * with an event, and every wait is bounded in virtual time (client retries,
 * alarms), so the same image, faults and steps give the same trace on any
 * host under any load. When the last step is done it reports and halts the
 * machine: the host never has to guess when an experiment is over.
 *
 * With the single argument `plan` the steps come from the kernel instead
 * (SYS_FI_CTL FI_OP_PLAN, kernel/plan.c): the host writes them at a stop
 * the guest defines, so one booted machine, saved there, serves any number
 * of experiments.
 *
 *   kv:N | echo:N     N requests of the workload client, each checked
 *   verify[:T]        read back everything acknowledged to victim T (default:
 *                     the last one driven): the state oracle
 *   update:L          live update of L (answered when done or aborted)
 *   hold:L            ask for a live update of L to a state it never reaches
 *                     (5) within 300 ticks, without waiting for the answer:
 *                     the steps after it run while that update is pending
 *   queue:L           queue an update of L for a batch (state 1, 30 ticks)
 *   qhold:L           queue one to a state L never reaches (5), 300 ticks
 *   runhold           run the queued batch without waiting for the answer
 *   down:L up:L restart:L refresh:L    the same requests `service` makes
 *   step:N            fault-table step N: faults armed "from N" go live
 *   watch:T           sleep T ticks (late detections, heartbeats)
 *   period:T          RS's default heartbeat period is T ticks from now on
 *   probe             ask every service something and check its state
 *   gcov:T            coverage dump of every binary, then T ticks to finish
 */
#include "../../lib/libsys/syslib.h"
#include "../../include/services.h"
#include "../../include/fi.h"
#include "../../lib/libc/libc.h"
#include "../../lib/common/format.h"
#include "../wl/client.h"
#include "probe.h"

static int item;            /* workload items so far: values never repeat */

static void sleep_ticks(int t)
{
    message m;
    if (t <= 0) return;
    if (sys_setalarm((uint32_t)t, 0) == OK) ipc_receive(CLOCK, &m);
}

static int rs_request(int type, const char *label)
{
    message m = {0};
    m.m_type = type;
    m.SRV_POLICY = -1;
    if (type == RS_UPDATE) {         /* in an up these words name an options buffer */
        m.SRV_STATE = 1;
        m.SRV_MAXTIME = 30;
    }
    strlcpy(m.SRV_LABEL, label, LABEL_MAX);
    int r = ipc_sendrec(RS_PROC_EP, &m);
    return r == OK ? m.m_type : r;
}

/* hold:L - a plain send: RS takes the request and answers it when the
 * update ends (prepare timeout); by then this driver is elsewhere, so the
 * answer is not taken for that of a later request (RS sends it without
 * blocking, and only a receive from RS would take it). */
static int rs_hold_update(const char *label)
{
    message m = {0};
    m.m_type = RS_UPDATE;
    m.SRV_POLICY = -1;
    m.SRV_STATE = 5;
    m.SRV_MAXTIME = 300;
    strlcpy(m.SRV_LABEL, label, LABEL_MAX);
    return ipc_send(RS_PROC_EP, &m);
}

/* queue:L and qhold:L: a queued update (answered at once) */
static int rs_queue(const char *label, int hold)
{
    message m = {0};
    m.m_type = RS_UPDATE;
    m.SRV_LU_FLAGS = RS_LU_QUEUE;
    m.SRV_STATE = hold ? 5 : 1;
    m.SRV_MAXTIME = hold ? 300 : 30;
    strlcpy(m.SRV_LABEL, label, LABEL_MAX);
    int r = ipc_sendrec(RS_PROC_EP, &m);
    return r == OK ? m.m_type : r;
}

/* runhold: upd_run as a plain send, for the reason rs_hold_update says */
static int rs_run_batch_nowait(void)
{
    message m = { .m_type = RS_SYSCTL };
    m.SYSCTL_OP = RS_SYSCTL_UPD_RUN;
    return ipc_send(RS_PROC_EP, &m);
}

/* A target the plan named that is no victim: its text quoted, whatever
 * it holds, so it cannot add fields to the event. */
static void bad_target(const char *target)
{
    char q[80];
    event("ev=sc_error reason=bad-target arg=%s", ev_quote(q, sizeof q, target));
}

static void workload(const char *target, int n)
{
    if (client_set_target(target) < 0) { bad_target(target); return; }
    memset(&wl, 0, sizeof wl);
    client_bind();
    for (int i = 0; i < n; i++) client_item(item++);
    client_report_done();
}

static void verify(const char *target)
{
    if (target && client_set_target(target) < 0) { bad_target(target); return; }
    if (!wl_label) { event("ev=sc_verify target=none"); return; }
    memset(&wl, 0, sizeof wl);
    client_bind();
    client_verify();
    event("ev=sc_verify target=%s verified=%d wrong=%d stale=%d gone=%d lost=%d retried=%d",
          wl_label, wl.verified, wl.wrong, wl.stale, wl.gone, wl.lost, wl.retried);
}

static void fi_step(int n)
{
    message m = { .m_type = SYS_FI_CTL };
    m.FI_OP = FI_OP_STEP;
    m.FI_SLOT = n;
    int r = kernel_call(&m);
    if (r != OK) event("ev=sc_error reason=fi-step result=%d", r);
}

static void run_step(char *w)
{
    char *arg = strchr(w, ':');
    if (arg) *arg++ = 0;
    int n = arg ? atoi(arg) : 0;
    static const struct { const char *name; int type; } ops[] = {
        { "update", RS_UPDATE }, { "down", RS_DOWN }, { "up", RS_UP },
        { "restart", RS_RESTART }, { "refresh", RS_REFRESH },
    };
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(w, ops[i].name) && arg) {
            int r = rs_request(ops[i].type, arg);
            event("ev=sc_service op=%s label=%s result=%d", w, arg, r);
            return;
        }
    if ((!strcmp(w, "queue") || !strcmp(w, "qhold")) && arg) {
        event("ev=sc_service op=%s label=%s result=%d", w, arg, rs_queue(arg, w[1] == 'h'));
        return;
    }
    if (!strcmp(w, "period") && arg) {
        message m = { .m_type = RS_SYSCTL };
        m.SYSCTL_OP = RS_SYSCTL_PERIOD;
        m.SYSCTL_ARG = n;
        int r = ipc_sendrec(RS_PROC_EP, &m);
        if (r == OK) r = m.m_type;
        /* a run on some other period is not the experiment planned */
        if (r != OK) event("ev=sc_error reason=period result=%d", r);
        else event("ev=sc_service op=period label=- result=%d", r);
        return;
    }
    if (!strcmp(w, "runhold")) {
        event("ev=sc_service op=runhold label=- result=%d", rs_run_batch_nowait());
        return;
    }
    if (!strcmp(w, "hold") && arg) {
        event("ev=sc_service op=hold label=%s result=%d", arg, rs_hold_update(arg));
        return;
    }
    if (!strcmp(w, "kv") || !strcmp(w, "echo")) workload(w, n);
    else if (!strcmp(w, "verify")) verify(arg);
    else if (!strcmp(w, "step")) fi_step(n);
    else if (!strcmp(w, "watch")) sleep_ticks(n);
    else if (!strcmp(w, "probe")) probe_all();
    else if (!strcmp(w, "gcov")) {
        message m = { .m_type = RS_GCOV };
        int r = ipc_sendrec(RS_PROC_EP, &m);
        event("ev=sc_gcov result=%d", r == OK ? m.m_type : r);
        sleep_ticks(n);
    } else {
        char q[80];                /* the plan's word, quoted like a bad target */
        event("ev=sc_error reason=unknown-step step=%s", ev_quote(q, sizeof q, w));
    }
}

/* The host's plan: space-separated steps, split in place into argv. */
static int take_plan(char **argv, int max)
{
    static char plan[FI_PLAN_MAX];
    message m = { .m_type = SYS_FI_CTL };
    m.FI_OP = FI_OP_PLAN;
    m.FI_ADDR = (uint32_t)plan;
    m.FI_LEN = sizeof plan;
    int r = kernel_call(&m);
    if (r != OK) { event("ev=sc_error reason=plan result=%d", r); return 1; }
    int argc = 1;
    for (char *p = plan; *p && argc < max; ) {
        while (*p == ' ') *p++ = 0;
        if (!*p) break;
        argv[argc++] = p;
        while (*p && *p != ' ') p++;
    }
    return argc;
}

int main(int argc, char **argv)
{
    static char *planned[FI_PLAN_MAX / 2 + 1];
    client_use_alarm(1);
    if (argc == 2 && !strcmp(argv[1], "plan")) {
        planned[0] = argv[0];
        argc = take_plan(planned, FI_PLAN_MAX / 2 + 1);
        argv = planned;
    }
    event("ev=sc_start steps=%d", argc - 1);
    for (int i = 1; i < argc; i++) {
        event("ev=sc_step n=%d do=%s", i, argv[i]);
        run_step(argv[i]);
    }
    event("ev=sc_done steps=%d", argc - 1);
    sys_abort(ABORT_HALT);
}
