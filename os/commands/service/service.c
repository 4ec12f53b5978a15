/* service.c - the `service` command: turns its arguments into a request to
 * RS. Linked into the console shell (os/servers/tty). */
#include "../../lib/libsys/syslib.h"
#include "../../lib/libc/libc.h"
#include "../../include/services.h"
#include "../../lib/sef/sef.h"

static void usage(void)
{
    printf("usage: service up|down|restart|refresh|update|list LABEL [options]\n");
}

int service_main(int argc, char **argv)
{
    static const struct { const char *name; int type; } ops[] = {
        { "up", RS_UP }, { "down", RS_DOWN }, { "restart", RS_RESTART },
        { "refresh", RS_REFRESH }, { "update", RS_UPDATE }, { "list", RS_LIST },
    };
    if (argc < 2) { usage(); return EINVAL; }
    message m = {0};
    m.SRV_POLICY = -1;
    m.SRV_STATE = SEF_LU_STATE_WORK_FREE;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(argv[1], ops[i].name)) m.m_type = ops[i].type;
    if (!m.m_type) { usage(); return EINVAL; }
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
        else if (!strcmp(o, "-period")) { m.SRV_PERIOD = atoi(v); i++; }
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
    int r = ipc_sendrec(RS_PROC_EP, &m);
    if (r == OK) r = m.m_type;
    printf("service %s: %s (%d)\n", argv[1], r == OK ? "ok" : "failed", r);
    return r;
}
