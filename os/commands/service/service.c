/* service.c - the `service` command: turns its arguments into a request to
 * RS. Linked into the console shell (os/servers/tty). */
#include "../../lib/libsys/syslib.h"
#include "../../lib/libc/libc.h"
#include "../../include/services.h"
#include "../../lib/sef/sef.h"
#include "../../include/fi.h"
#include "../../include/rsopts.h"

static void usage(void)
{
    printf("usage: service up|down|restart|refresh|update|list LABEL [options]\n"
           "  up options: -args A -period T -policy reset|restart -intensity R/W\n"
           "    -escalate restart,reset,dependents,giveup -deps L1,L2\n"
           "    -deppolicy one_for_one|rest_for_one -ping LATE/HANG (periods)\n");
}

static const char *fi_types[FI_NR_TYPES] = FI_TYPE_NAMES;

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

/* `service up` supervision options, into the buffer RS copies (RS checks
 * the values; here only the syntax). 1: taken, 0: not one of them. */
static int up_option(const char *o, const char *v, struct rs_up_opts *u, int *r)
{
    *r = OK;
    if (!strcmp(o, "-intensity")) *r = pair(v, &u->max_restarts, &u->window);
    else if (!strcmp(o, "-ping")) *r = pair(v, &u->ping_late, &u->ping_hang);
    else if (!strcmp(o, "-deppolicy")) {
        if (!strcmp(v, "one_for_one")) u->dep_policy = RS_DEP_ONE_FOR_ONE;
        else if (!strcmp(v, "rest_for_one")) u->dep_policy = RS_DEP_REST_FOR_ONE;
        else *r = EINVAL;
    } else if (!strcmp(o, "-escalate") || !strcmp(o, "-deps")) {
        char *dst = o[1] == 'e' ? u->chain : u->deps;
        size_t max = o[1] == 'e' ? sizeof u->chain : sizeof u->deps;
        if (strlen(v) >= max) *r = E2BIG;
        else strlcpy(dst, v, max);
    } else return 0;
    if (*r != OK) printf("service: bad value for %s: %s\n", o, v);
    return 1;
}

/* service fi LABEL SITE TYPE [nth=N|times=K|prob=PPM] [seed=S] [arg=A]
 *            [at=ADDR len=N opnd=N disp=N]
 * service fi off [SLOT]: the same control table the host writes by GDB.
 * An automatic site is SITE @ADDR; its fault's target instruction (at=,
 * len=, opnd=, disp=) is what `python3 -m faultinj sites` prints for it. */
static int service_fi(int argc, char **argv)
{
    message m = {0};
    m.m_type = SYS_FI_CTL;
    if (argc >= 3 && !strcmp(argv[2], "off")) {
        m.FI_OP = FI_OP_DISARM;
        m.FI_SLOT = argc > 3 ? atoi(argv[3]) : -1;
        return kernel_call(&m);
    }
    if (argc < 5) {
        printf("usage: service fi LABEL|* SITE TYPE [nth=N|times=K|prob=PPM] [seed=S] [arg=A]"
               " [at=ADDR len=N opnd=N disp=N]\n");
        return EINVAL;
    }
    static struct fi_slot s;
    memset(&s, 0, sizeof s);
    if (strcmp(argv[2], "*")) strlcpy(s.proc, argv[2], sizeof s.proc);
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
        if (!strcmp(argv[i], "nth")) { s.trigger = FI_TRIG_NTH; s.n = v; }
        else if (!strcmp(argv[i], "times")) { s.trigger = FI_TRIG_TIMES; s.k = v; }
        else if (!strcmp(argv[i], "prob")) { s.trigger = FI_TRIG_PROB; s.prob = v; s.k = 1000000; }
        else if (!strcmp(argv[i], "seed")) s.seed = v;
        else if (!strcmp(argv[i], "arg")) s.arg = v;
        else if (!strcmp(argv[i], "k")) s.k = v;
        else if (!strcmp(argv[i], "at")) s.taddr = v;
        else if (!strcmp(argv[i], "len")) s.tlen = v;
        else if (!strcmp(argv[i], "opnd")) s.opnd = v;
        else if (!strcmp(argv[i], "disp")) s.disp = v;
        else { printf("service fi: unknown option %s\n", argv[i]); return EINVAL; }
    }
    m.FI_OP = FI_OP_ARM;
    m.FI_ADDR = (uint32_t)&s;
    int r = kernel_call(&m);
    if (r == OK) printf("service fi: armed slot %d\n", m.FI_SLOT);
    return r;
}

int service_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "fi")) return service_fi(argc, argv);
    static const struct { const char *name; int type; } ops[] = {
        { "up", RS_UP }, { "down", RS_DOWN }, { "restart", RS_RESTART },
        { "refresh", RS_REFRESH }, { "update", RS_UPDATE }, { "list", RS_LIST },
    };
    if (argc < 2) { usage(); return EINVAL; }
    message m = {0};
    static struct rs_up_opts opts;
    int have_opts = 0, r;
    memset(&opts, 0, sizeof opts);
    opts.dep_policy = -1;
    m.SRV_POLICY = -1;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(argv[1], ops[i].name)) m.m_type = ops[i].type;
    if (!m.m_type) { usage(); return EINVAL; }
    if (m.m_type == RS_UPDATE) m.SRV_STATE = SEF_LU_STATE_WORK_FREE;
    if (m.m_type != RS_LIST) {
        if (argc < 3 || strlen(argv[2]) >= LABEL_MAX) { usage(); return EINVAL; }
        strlcpy(m.SRV_LABEL, argv[2], LABEL_MAX);
    }
    for (int i = 3; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (!strcmp(o, "-initcrash")) m.SRV_DBG |= SEF_DBG_INIT_CRASH;
        else if (!strcmp(o, "-initfail")) m.SRV_DBG |= SEF_DBG_INIT_FAIL;
        else if (!strcmp(o, "-inittimeout")) m.SRV_DBG |= SEF_DBG_INIT_TIMEOUT;
        else if (!v) { printf("service: %s needs a value\n", o); return EINVAL; }
        else if (m.m_type == RS_UP && up_option(o, v, &opts, &r)) {
            if (r != OK) return r;
            have_opts = 1;
            i++;
        }
        else if (!strcmp(o, "-period")) { m.SRV_PERIOD = atoi(v); i++; }
        else if ((!strcmp(o, "-state") || !strcmp(o, "-maxtime")) && m.m_type != RS_UPDATE) {
            /* the words carry the options buffer of an up */
            printf("service: %s is for update\n", o);
            return EINVAL;
        }
        else if (!strcmp(o, "-state")) { m.SRV_STATE = atoi(v); i++; }
        else if (!strcmp(o, "-maxtime")) { m.SRV_MAXTIME = atoi(v); i++; }
        else if (!strcmp(o, "-policy")) {
            if (!strcmp(v, "reset")) m.SRV_POLICY = RS_POLICY_RESET;
            else if (!strcmp(v, "restart")) m.SRV_POLICY = RS_POLICY_RESTART;
            else { printf("service: unknown policy %s\n", v); return EINVAL; }
            i++;
        } else if (!strcmp(o, "-args") || !strcmp(o, "-binary")) {
            if (strlen(v) >= SRV_ARGS_MAX) { printf("service: %s too long\n", o); return E2BIG; }
            strlcpy(m.SRV_ARGS, v, SRV_ARGS_MAX);
            i++;
        } else { printf("service: unknown option %s\n", o); return EINVAL; }
    }
    if (have_opts) {
        m.SRV_OPTS_ADDR = (uint32_t)&opts;
        m.SRV_OPTS_LEN = sizeof opts;
    }
    r = ipc_sendrec(RS_PROC_EP, &m);
    if (r == OK) r = m.m_type;
    printf("service %s: %s (%d)\n", argv[1], r == OK ? "ok" : "failed", r);
    return r;
}
