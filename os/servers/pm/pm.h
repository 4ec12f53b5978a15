/* pm.h - the process manager's table: the process tree with INIT at the
 * root (pid 0), RS its child, every system service a child of RS, and the
 * user processes PM itself starts. */
#ifndef PM_H
#define PM_H
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"
#include "../../include/fi.h"

#define NR_PM_PROCS 48
#define PK_ROOT    1
#define PK_SERVICE 2
#define PK_USER    3

struct pmproc {
    int  in_use, kind, pid, ppid, ep;
    char name[LABEL_MAX];
    int  zombie, status;        /* user process ended, parent not told yet */
    int  wait_for;              /* waiting in PM_WAIT for this pid (-1 any), -2 none */
};

extern struct pmproc pmtab[NR_PM_PROCS];
struct pmproc *pm_by_ep(int ep);
struct pmproc *pm_by_pid(int pid);
struct pmproc *pm_add(int kind, int ep, int ppid, const char *name);
int  pm_spawn(struct pmproc *parent, const char *name, const char *args);
void pm_child_ended(struct pmproc *p, int status);
void pm_reap_signals(void);
void pm_save(void);
int  pm_restore(void);           /* entries restored, or an error */
#endif
