/* shell.c - the console shell: `service ...`, `run PROG ARGS`, `ps`,
 * `help`. Every command ends with one event line carrying its result, so a
 * test driving the console can tell when and how it finished. */
#include "../../lib/common/format.h"
#include "tty.h"

void shell_prompt(void) { sys_diag("# ", 2, 0); }

static int split(char *s, char **argv, int max)
{
    int argc = 0;
    while (*s && argc < max) {
        while (*s == ' ') *s++ = 0;
        if (!*s) break;
        argv[argc++] = s;
        while (*s && *s != ' ') s++;
    }
    return argc;
}

static int pm_call(message *m)
{
    int r = ipc_sendrec(PM_PROC_EP, m);
    return r != OK ? r : m->m_type;
}

static int cmd_run(int argc, char **argv)
{
    if (argc < 2) { printf("usage: run PROGRAM [ARGS...]\n"); return EINVAL; }
    message m = { .m_type = PM_SPAWN };
    strlcpy(m.PM_NAME, argv[1], LABEL_MAX);
    char *a = m.PM_ARGS;
    size_t used = 0;
    for (int i = 2; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (used + n + 2 > PM_ARGS_MAX) { printf("run: arguments too long\n"); return E2BIG; }
        if (used) a[used++] = ' ';
        memcpy(a + used, argv[i], n);
        used += n;
    }
    a[used] = 0;
    int r = pm_call(&m);
    if (r >= 0) printf("started %s as pid %d\n", argv[1], r);
    else printf("run: cannot start %s: error %d\n", argv[1], r);
    return r < 0 ? r : OK;
}

/* `vmmask LABEL`: the VM call mask VM holds for the service's current
 * endpoint (found in DS; RS is not published there). */
static int cmd_vmmask(int argc, char **argv)
{
    if (argc < 2) { printf("usage: vmmask LABEL\n"); return EINVAL; }
    int ep = RS_PROC_EP;
    if (strcmp(argv[1], "rs")) {
        ep = sef_lookup(argv[1]);
        if (ep < 0) { printf("vmmask: no service %s\n", argv[1]); return ep; }
    }
    message m = { .m_type = VM_GET_MASK };
    m.m.i[0] = ep;
    int r = ipc_sendrec(VM_PROC_EP, &m);
    if (r == OK) r = m.m_type;
    if (r == OK) {
        printf("%s (ep %d): VM call mask 0x%x\n", argv[1], ep, m.m.u[1]);
        char q[2 * LABEL_MAX + 3];     /* typed by the user: quoted */
        event("ev=vm_mask label=%s ep=%d mask=0x%x", ev_quote(q, sizeof q, argv[1]), ep, m.m.u[1]);
    }
    return r;
}

void shell_line(char *line)
{
    char *argv[16];
    char copy[160];
    strlcpy(copy, line, sizeof copy);
    int argc = split(line, argv, 16), r;
    if (argc == 0) return;
    if (!strcmp(argv[0], "service")) r = service_main(argc, argv);
    else if (!strcmp(argv[0], "run")) r = cmd_run(argc, argv);
    else if (!strcmp(argv[0], "ps")) { message m = { .m_type = PM_TREE }; r = pm_call(&m); }
    else if (!strcmp(argv[0], "kill")) {
        message m = { .m_type = PM_KILL };
        if (argc < 2) { printf("usage: kill PID [SIGNAL]\n"); r = EINVAL; }
        else {
            m.PM_PID = atoi(argv[1]);
            m.PM_SIG = argc > 2 ? atoi(argv[2]) : SIGTERM;
            r = pm_call(&m);
        }
    } else if (!strcmp(argv[0], "free")) {
        message m = { .m_type = VM_INFO };
        r = ipc_sendrec(VM_PROC_EP, &m);
        if (r == OK) r = m.m_type;
        if (r == OK) {
            printf("memory: %u KiB total, %u KiB free\n", m.m.u[0] / 1024, m.m.u[1] / 1024);
            event("ev=vm_info total=%u free=%u", m.m.u[0], m.m.u[1]);
        }
    }
    else if (!strcmp(argv[0], "vmmask")) r = cmd_vmmask(argc, argv);
    else if (!strcmp(argv[0], "gcov")) {
        message m = { .m_type = RS_GCOV };
        r = ipc_sendrec(RS_PROC_EP, &m);
        if (r == OK) r = m.m_type;
        if (r == ENOSYS) printf("gcov: this build has no coverage (make coverage)\n");
    }
    else if (!strcmp(argv[0], "halt")) {
        event("ev=shell_done cmd=\"halt\" result=0");
        sys_abort(ABORT_HALT);
    } else if (!strcmp(argv[0], "help")) {
        /* the service command's own table: whatever it accepts is listed */
        printf("commands:\n");
        service_usage();
        printf("  run PROGRAM [ARGS...]   start a user program (e.g. run wl kv 100)\n"
               "  ps                      print the process tree\n"
               "  kill PID [SIGNAL]       end a user process\n"
               "  free                    memory, as VM sees it\n"
               "  vmmask LABEL            the VM call mask VM holds for a service\n"
               "  gcov                    dump coverage counters (coverage build)\n"
               "  halt                    stop the machine\n");
        r = OK;
    } else {
        printf("%s: unknown command (try help)\n", argv[0]);
        r = ENOSYS;
    }
    char q[2 * sizeof copy + 3];
    event("ev=shell_done cmd=%s result=%d", ev_quote(q, sizeof q, copy), r);   /* whole, escaped */
}
