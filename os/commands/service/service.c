/* service.c - the `service` command: turns its arguments into a request to
 * RS (or, for `fi`, to the kernel's fault table). Linked into the console
 * shell (os/servers/tty), whose `help` prints service_usage().
 *
 * The commands and options are tables, and the parser looks an option up
 * in them before acting on it: an option the usage text does not show is
 * refused, so the usage and `help` cannot drift from what is accepted. */
#include "../../lib/libsys/syslib.h"
#include "../../lib/libc/libc.h"
#include "../../include/services.h"
#include "../../include/kinfo.h"
#include "../../include/kcall.h"
#include "../../lib/sef/sef.h"
#include "../../include/fi.h"
#include "../../include/rsopts.h"

enum { C_UP = 1, C_DOWN = 2, C_RESTART = 4, C_REFRESH = 8, C_UPDATE = 16, C_LIST = 32, C_SYSCTL = 64 };
#define C_NEW (C_UP | C_RESTART | C_REFRESH | C_UPDATE)   /* start a new instance */

static const struct cmd {
    const char *name;
    int type, bit;
    const char *args, *what;
} cmds[] = {
    { "up",      RS_UP,      C_UP,      "LABEL", "start a service of RS's table" },
    { "down",    RS_DOWN,    C_DOWN,    "LABEL", "stop a service for good" },
    { "restart", RS_RESTART, C_RESTART, "LABEL", "restart it (its state kept)" },
    { "refresh", RS_REFRESH, C_REFRESH, "LABEL", "restart it clean (no state)" },
    { "update",  RS_UPDATE,  C_UPDATE,  "LABEL", "live-update it" },
    { "list",    RS_LIST,    C_LIST,    "",      "RS's table, one event a service" },
    { "sysctl",  RS_SYSCTL,  C_SYSCTL,  "upd_run|upd_stop|upd_status|period TICKS",
      "run the queued updates as one transaction, discard the queue, report it, "
      "or set the default heartbeat period" },
};

/* `service sysctl OP`: the operations, in the usage line above */
static const struct { const char *name; int op; } sysctls[] = {
    { "upd_run", RS_SYSCTL_UPD_RUN }, { "upd_stop", RS_SYSCTL_UPD_STOP },
    { "upd_status", RS_SYSCTL_UPD_STATUS }, { "period", RS_SYSCTL_PERIOD },
};
#define NR_CMDS (int)(sizeof cmds / sizeof cmds[0])

enum { O_ARGS, O_PERIOD, O_POLICY, O_INTENSITY, O_ESCALATE, O_DEPS, O_DEPPOLICY, O_PING,
       O_INITCRASH, O_INITFAIL, O_INITTIMEOUT, O_STATE, O_MAXTIME, O_BINARY, O_PREPONLY, O_QUEUE };

static const struct opt {
    const char *name, *alias;    /* alias: MINIX's spelling */
    int id, cmds;
    const char *arg, *what;      /* arg 0: a flag */
} opts[] = {
    { "-args", 0, O_ARGS, C_UP, "A", "arguments of the service (one word)" },
    { "-period", 0, O_PERIOD, C_UP, "T[HZ]", "heartbeat period: T ticks, or T seconds" },
    { "-policy", 0, O_POLICY, C_UP, "reset|restart", "how it is restarted" },
    { "-intensity", 0, O_INTENSITY, C_UP, "R/W", "at most R restarts in W seconds" },
    { "-escalate", 0, O_ESCALATE, C_UP, "restart,reset,dependents,giveup", "stages past it" },
    { "-deps", 0, O_DEPS, C_UP, "L1,L2", "services it depends on (- none)" },
    { "-deppolicy", 0, O_DEPPOLICY, C_UP, "one_for_one|rest_for_one", "when a dependency restarts" },
    { "-ping", 0, O_PING, C_UP, "LATE/HANG", "heartbeat thresholds, in periods" },
    { "-initcrash", "-x", O_INITCRASH, C_NEW, 0, "debug: the new instance crashes in init" },
    { "-initfail", "-y", O_INITFAIL, C_NEW, 0, "debug: its init reports failure" },
    { "-inittimeout", "-z", O_INITTIMEOUT, C_NEW, 0, "debug: its init never reports" },
    { "-state", 0, O_STATE, C_UPDATE, "S", "prepare state: a number or a name below (default 1)" },
    { "-maxtime", 0, O_MAXTIME, C_UPDATE, "T[HZ]", "prepare time limit: ticks, or seconds; 0 none (default 2 s)" },
    { "-binary", 0, O_BINARY, C_UPDATE, "NAME", "the new version's executable (default: the same)" },
    { "-prepareonly", "-o", O_PREPONLY, C_UPDATE, 0, "only prepare: reach the state, replace nothing" },
    { "-queue", "-q", O_QUEUE, C_UPDATE, 0, "only queue it; `service sysctl upd_run` runs the queue" },
};
#define NR_OPTS (int)(sizeof opts / sizeof opts[0])

/* The standard states, as named in SEF (os/lib/sef/sef.h); NULL (0) is
 * no update and is refused. */
static const struct { const char *name; int state; } states[] = {
    { "work_free", SEF_LU_STATE_WORK_FREE },
    { "request_free", SEF_LU_STATE_REQUEST_FREE },
    { "protocol_free", SEF_LU_STATE_PROTOCOL_FREE },
    { "unreachable", SEF_LU_STATE_UNREACHABLE },
};

/* `service fi` trigger and target options, KEY=VALUE */
enum { K_NTH, K_TIMES, K_PROB, K_SEED, K_ARG, K_K, K_AT, K_LEN, K_OPND, K_DISP };
static const struct { const char *key; int id; const char *what; } fi_keys[] = {
    { "nth", K_NTH, "fire at the Nth hit (default 1)" },
    { "times", K_TIMES, "fire at each of the first K hits" },
    { "prob", K_PROB, "fire with probability PPM per million" },
    { "seed", K_SEED, "seed of prob" },
    { "arg", K_ARG, "the fault's argument (delay ticks, error code, ...)" },
    { "k", K_K, "fire at most K times" },
    { "at", K_AT, "automatic site: the target instruction's address" },
    { "len", K_LEN, "its length" },
    { "opnd", K_OPND, "its operand (FI_OPND_*)" },
    { "disp", K_DISP, "its memory operand's displacement" },
};
#define NR_FI_KEYS (int)(sizeof fi_keys / sizeof fi_keys[0])

static const char *fi_types[FI_NR_TYPES] = FI_TYPE_NAMES;

void service_usage(void)
{
    printf("service COMMAND [LABEL] [options]: asks RS, answers with its result\n");
    for (int c = 0; c < NR_CMDS; c++) {
        printf("  service %s%s%s", cmds[c].name, cmds[c].args[0] ? " " : "", cmds[c].args);
        for (int o = 0; o < NR_OPTS; o++)
            if (opts[o].cmds & cmds[c].bit) printf(" [%s%s%s]", opts[o].name, opts[o].alias ? "|" : "",
                                                  opts[o].alias ? opts[o].alias : "");
        printf("\n      %s\n", cmds[c].what);
    }
    printf("  options:\n");
    for (int o = 0; o < NR_OPTS; o++)
        printf("    %s%s%s%s%s: %s\n", opts[o].name, opts[o].alias ? "|" : "",
               opts[o].alias ? opts[o].alias : "", opts[o].arg ? " " : "",
               opts[o].arg ? opts[o].arg : "", opts[o].what);
    printf("    state names:");
    for (unsigned i = 0; i < sizeof states / sizeof states[0]; i++)
        printf(" %s=%d", states[i].name, states[i].state);
    printf("\n  service fi [-pending] LABEL|* SITE TYPE [KEY=VALUE...]\n"
           "      arm a fault; LABEL must run (a service or a process name),\n"
           "      -pending arms it for a LABEL not running yet, * is any process\n"
           "  service fi off [SLOT]\n      disarm one slot, or all\n"
           "    TYPE:");
    for (int t = 1; t < FI_NR_TYPES; t++) printf(" %s", fi_types[t]);
    printf("\n");
    for (int k = 0; k < NR_FI_KEYS; k++) printf("    %s=: %s\n", fi_keys[k].key, fi_keys[k].what);
}

/* v, all of it, a decimal number in 0..max; else -1 */
static long number(const char *v, long max)
{
    char *end;
    if (*v < '0' || *v > '9') return -1;        /* no sign, no blanks */
    long x = strtol(v, &end, 10);
    return *end || x > max ? -1 : x;
}

/* "T" ticks or "THZ" seconds, as MINIX's service reads -period and
 * -maxtime; HZ is the kernel's clock, asked rather than assumed. */
static int ticks(const char *v, int32_t *out)
{
    char digits[12];
    size_t n = strlen(v);
    int hz = n > 2 && !strcmp(v + n - 2, "HZ");
    if (hz) n -= 2;
    if (n == 0 || n >= sizeof digits) return EINVAL;
    memcpy(digits, v, n);
    digits[n] = 0;
    long x = number(digits, 1000000);
    if (x < 0) return EINVAL;
    if (hz) {
        struct kinfo k;
        if (sys_getinfo(GET_KINFO, &k, sizeof k, 0, 0) != OK || k.hz == 0) return EIO;
        x *= (long)k.hz;
    }
    *out = (int32_t)x;
    return OK;
}

static int same_name(const char *a, const char *b)   /* ASCII, any case */
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        if (x != *b) return 0;
    }
    return *a == *b;
}

static int lu_state(const char *v, int32_t *out)
{
    for (unsigned i = 0; i < sizeof states / sizeof states[0]; i++)
        if (same_name(v, states[i].name)) { *out = states[i].state; return OK; }
    long x = number(v, 1000);
    if (x <= 0) return EINVAL;         /* 0 is the NULL state: no update */
    *out = (int32_t)x;
    return OK;
}

/* "A/B" -> a, b (both positive), else EINVAL */
static int pair(const char *v, int32_t *a, int32_t *b)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '/') return EINVAL;
    const char *w = end + 1;
    long y = strtol(w, &end, 10);
    if (end == w || *end || x <= 0 || y <= 0) return EINVAL;
    *a = (int32_t)x;
    *b = (int32_t)y;
    return OK;
}

/* Does a process of this name run, or does RS have a service of this
 * label (one being restarted has no process for a moment)? The kernel
 * matches a slot's proc by process name, and a service's process is
 * named by its label. */
static int label_known(const char *label)
{
    static struct proc_info tab[NR_TASKS + NR_PROCS];
    int n = 0;
    if (sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &n) == OK)
        for (int i = 0; i < n; i++)
            if (!(tab[i].rts_flags & RTS_SLOT_FREE) && !strncmp(tab[i].name, label, sizeof tab[i].name))
                return 1;
    for (int i = 0; i < NR_SERVICES; i++) {
        message m = { .m_type = RS_GETPUB };
        m.PUB_INDEX = i;
        if (ipc_sendrec(RS_PROC_EP, &m) != OK || m.m_type != OK) break;
        if ((m.PUB_FLAGS & RSF_IN_USE) && !strncmp(m.PUB_LABEL, label, LABEL_MAX)) return 1;
    }
    return 0;
}

/* service fi [-pending] LABEL SITE TYPE [KEY=VALUE...]; service fi off [SLOT]:
 * the same control table the host writes by GDB. An automatic site is
 * SITE @ADDR; its fault's target instruction (at=, len=, opnd=, disp=) is
 * what `python3 -m faultinj sites` prints for it. */
static int service_fi(int argc, char **argv)
{
    message m = {0};
    m.m_type = SYS_FI_CTL;
    if (argc >= 3 && !strcmp(argv[2], "off")) {
        m.FI_OP = FI_OP_DISARM;
        m.FI_SLOT = argc > 3 ? atoi(argv[3]) : -1;
        return kernel_call(&m);
    }
    int pending = argc >= 3 && !strcmp(argv[2], "-pending");
    if (pending) { argv++; argc--; }
    if (argc < 5) {
        printf("usage: service fi [-pending] LABEL|* SITE TYPE [KEY=VALUE...] (see help)\n");
        return EINVAL;
    }
    static struct fi_slot s;
    memset(&s, 0, sizeof s);
    if (strcmp(argv[2], "*")) {
        if (strlen(argv[2]) >= sizeof s.proc) { printf("service fi: label too long\n"); return E2BIG; }
        /* a typo would arm a fault that never fires, and the experiment
         * would pass for the wrong reason */
        if (!pending && !label_known(argv[2])) {
            printf("service fi: no service or process %s (-pending arms it ahead)\n", argv[2]);
            return ESRCH;
        }
        strlcpy(s.proc, argv[2], sizeof s.proc);
    }
    if (strlen(argv[3]) >= FI_NAME_MAX) { printf("service fi: site name too long\n"); return E2BIG; }
    strlcpy(s.site, argv[3], sizeof s.site);
    for (int t = 1; t < FI_NR_TYPES; t++) if (!strcmp(argv[4], fi_types[t])) s.type = (uint32_t)t;
    if (!s.type) { printf("service fi: unknown fault type %s\n", argv[4]); return EINVAL; }
    s.trigger = FI_TRIG_NTH; s.n = 1; s.k = 1;
    for (int i = 5; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) { printf("service fi: bad option %s\n", argv[i]); return EINVAL; }
        uint32_t v = (uint32_t)strtol(eq + 1, 0, 0);
        *eq = 0;
        int id = -1;
        for (int k = 0; k < NR_FI_KEYS; k++) if (!strcmp(argv[i], fi_keys[k].key)) id = fi_keys[k].id;
        switch (id) {
        case K_NTH: s.trigger = FI_TRIG_NTH; s.n = v; break;
        case K_TIMES: s.trigger = FI_TRIG_TIMES; s.k = v; break;
        case K_PROB: s.trigger = FI_TRIG_PROB; s.prob = v; s.k = 1000000; break;
        case K_SEED: s.seed = v; break;
        case K_ARG: s.arg = v; break;
        case K_K: s.k = v; break;
        case K_AT: s.taddr = v; break;
        case K_LEN: s.tlen = v; break;
        case K_OPND: s.opnd = v; break;
        case K_DISP: s.disp = v; break;
        default: printf("service fi: unknown option %s\n", argv[i]); return EINVAL;
        }
    }
    m.FI_OP = FI_OP_ARM;
    m.FI_ADDR = (uint32_t)&s;
    int r = kernel_call(&m);
    if (r == OK) printf("service fi: armed slot %d\n", m.FI_SLOT);
    return r;
}

/* One option with its value v (0 for a flag): into the request m, or the
 * options buffer u of an up. OK, or the error to answer with. */
static int take(const struct opt *o, const char *v, message *m, struct rs_up_opts *u)
{
    int r = OK;
    switch (o->id) {
    case O_INITCRASH: m->SRV_DBG |= SEF_DBG_INIT_CRASH; break;
    case O_INITFAIL: m->SRV_DBG |= SEF_DBG_INIT_FAIL; break;
    case O_INITTIMEOUT: m->SRV_DBG |= SEF_DBG_INIT_TIMEOUT; break;
    case O_PREPONLY: m->SRV_LU_FLAGS |= RS_LU_PREPARE_ONLY; break;
    case O_QUEUE: m->SRV_LU_FLAGS |= RS_LU_QUEUE; break;
    case O_PERIOD: {
        int32_t t;
        r = ticks(v, &t);
        if (r == OK) m->SRV_PERIOD = t;
        break;
    }
    case O_MAXTIME: {
        int32_t t;
        r = ticks(v, &t);
        /* in the request, 0 asks for RS's default and -1 for no limit
         * (MINIX's encoding); the user's 0 is the latter */
        if (r == OK) m->SRV_MAXTIME = t > 0 ? t : -1;
        break;
    }
    case O_STATE: {
        int32_t st;
        r = lu_state(v, &st);
        if (r == OK) m->SRV_STATE = st;
        break;
    }
    case O_POLICY:
        if (!strcmp(v, "reset")) m->SRV_POLICY = RS_POLICY_RESET;
        else if (!strcmp(v, "restart")) m->SRV_POLICY = RS_POLICY_RESTART;
        else r = EINVAL;
        break;
    case O_ARGS: case O_BINARY:
        if (strlen(v) >= SRV_ARGS_MAX) r = E2BIG;
        else strlcpy(m->SRV_ARGS, v, SRV_ARGS_MAX);
        break;
    case O_INTENSITY: r = pair(v, &u->max_restarts, &u->window); break;
    case O_PING: r = pair(v, &u->ping_late, &u->ping_hang); break;
    case O_DEPPOLICY:
        if (!strcmp(v, "one_for_one")) u->dep_policy = RS_DEP_ONE_FOR_ONE;
        else if (!strcmp(v, "rest_for_one")) u->dep_policy = RS_DEP_REST_FOR_ONE;
        else r = EINVAL;
        break;
    case O_ESCALATE: case O_DEPS: {
        char *dst = o->id == O_ESCALATE ? u->chain : u->deps;
        size_t max = o->id == O_ESCALATE ? sizeof u->chain : sizeof u->deps;
        if (strlen(v) >= max) r = E2BIG;
        else strlcpy(dst, v, max);
        break;
    }
    }
    if (r != OK) printf("service: bad value for %s: %s (see help)\n", o->name, v);
    return r;
}

int service_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "fi")) return service_fi(argc, argv);
    const struct cmd *c = 0;
    for (int i = 0; argc >= 2 && i < NR_CMDS; i++) if (!strcmp(argv[1], cmds[i].name)) c = &cmds[i];
    if (!c) { service_usage(); return EINVAL; }
    message m = {0};
    static struct rs_up_opts opts_buf;
    int r, buffered = 0;
    memset(&opts_buf, 0, sizeof opts_buf);
    opts_buf.dep_policy = -1;
    m.m_type = c->type;
    m.SRV_POLICY = -1;
    if (c->type == RS_UPDATE) m.SRV_STATE = SEF_LU_STATE_WORK_FREE;
    int first = 2;
    if (c->type == RS_SYSCTL) {
        for (unsigned i = 0; argc >= 3 && i < sizeof sysctls / sizeof sysctls[0]; i++)
            if (!strcmp(argv[2], sysctls[i].name)) m.SYSCTL_OP = sysctls[i].op;
        if (m.SYSCTL_OP == RS_SYSCTL_PERIOD) {
            m.SYSCTL_ARG = argc >= 4 ? atoi(argv[3]) : 0;
            if (m.SYSCTL_ARG <= 0) m.SYSCTL_OP = 0;
        }
        if (!m.SYSCTL_OP) {
            printf("usage: service sysctl %s (see help)\n", c->args);
            return EINVAL;
        }
        first = m.SYSCTL_OP == RS_SYSCTL_PERIOD ? 4 : 3;
    } else if (c->type != RS_LIST) {
        if (argc < 3 || argv[2][0] == '-' || strlen(argv[2]) >= LABEL_MAX) {
            printf("usage: service %s LABEL [options] (see help)\n", c->name);
            return EINVAL;
        }
        strlcpy(m.SRV_LABEL, argv[2], LABEL_MAX);
        first = 3;
    }
    for (int i = first; i < argc; i++) {
        const struct opt *o = 0;
        for (int k = 0; k < NR_OPTS; k++)
            if (!strcmp(argv[i], opts[k].name) || (opts[k].alias && !strcmp(argv[i], opts[k].alias)))
                o = &opts[k];
        if (!o || !(o->cmds & c->bit)) {
            printf("service %s: unknown option %s (see help)\n", c->name, argv[i]);
            return EINVAL;
        }
        const char *v = 0;
        if (o->arg) {
            if (i + 1 >= argc) { printf("service: %s needs a value\n", o->name); return EINVAL; }
            v = argv[++i];
        }
        if ((r = take(o, v, &m, &opts_buf)) != OK) return r;
        buffered |= o->id >= O_INTENSITY && o->id <= O_PING;
    }
    if (buffered) {
        /* only an up gets here: its buffer's words are an update's state
         * and maxtime */
        m.SRV_OPTS_ADDR = (uint32_t)&opts_buf;
        m.SRV_OPTS_LEN = sizeof opts_buf;
    }
    r = ipc_sendrec(RS_PROC_EP, &m);
    if (r == OK) r = m.m_type;
    printf("service %s: %s (%d)\n", argv[1], r == OK ? "ok" : "failed", r);
    return r;
}
