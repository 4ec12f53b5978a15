/* init.c - INIT, the root of the process tree (pid 0). A user process:
 * given arguments, it starts them as one program through PM (for example
 * `init wl kv 100` runs a workload at boot, with no console input, so the
 * experiment is deterministic), then collects the exit of any child. */
#include "../../lib/libsys/syslib.h"
#include "../../lib/libc/libc.h"
#include "../../include/services.h"

int main(int argc, char **argv)
{
    if (argc > 1) {
        message m = { .m_type = PM_SPAWN };
        strlcpy(m.PM_NAME, argv[1], LABEL_MAX);
        size_t used = 0;
        for (int i = 2; i < argc; i++) {
            size_t n = strlen(argv[i]);
            if (used + n + 2 > PM_ARGS_MAX) break;
            if (used) m.PM_ARGS[used++] = ' ';
            memcpy(m.PM_ARGS + used, argv[i], n);
            used += n;
        }
        m.PM_ARGS[used] = 0;
        ipc_sendrec(PM_PROC_EP, &m);
    }
    for (;;) {
        message m = { .m_type = PM_WAIT };
        m.PM_PID = -1;
        if (ipc_sendrec(PM_PROC_EP, &m) == OK && m.m_type == OK) {
            event("ev=init_reaped pid=%d status=%d", m.PM_PID, m.PM_STATUS);
        } else {
            /* PM is being restarted: wait for it by asking again */
            m.m_type = PM_GETPID;
            ipc_sendrec(PM_PROC_EP, &m);
        }
    }
}
