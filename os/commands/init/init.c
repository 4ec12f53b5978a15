/* init.c - INIT, the root of the process tree (pid 0). A user process:
 * it starts the programs named in its arguments through PM (for example a
 * workload at boot) and then collects the exit of any child for ever. */
#include "../../lib/libsys/syslib.h"
#include "../../lib/libc/libc.h"
#include "../../include/services.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        message m = { .m_type = PM_SPAWN };
        strlcpy(m.PM_NAME, argv[i], LABEL_MAX);
        ipc_sendrec(PM_PROC_EP, &m);
    }
    for (;;) {
        message m = { .m_type = PM_WAIT };
        m.PM_PID = -1;
        if (ipc_sendrec(PM_PROC_EP, &m) != OK) {
            /* PM is being restarted: wait for it by asking again */
            m.m_type = PM_GETPID;
            ipc_sendrec(PM_PROC_EP, &m);
        }
    }
}
