/* pm.h - the process manager's table: the process tree with INIT at the
 * root (pid 0), RS its child, every system service a child of RS, and the
 * user processes PM itself starts. */
#ifndef PM_H
#define PM_H
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"
#include "../../lib/common/format.h"
#include "../../include/fi.h"

#define NR_PM_PROCS 64

/* A program started with `run` (or by INIT) and everything it starts in
 * turn form one user tree. A tree may hold at most PM_TREE_MAX processes,
 * zombies included (they hold slots too), so a fork bomb stops itself and
 * leaves room for the next `run`. User processes together leave
 * PM_SERVICE_RESERVE slots to INIT, RS and every service RS may start. */
#define PM_TREE_MAX        8
/* Memory a user program's image may take when it starts (its segments,
 * .bss included): the kernel loads it in one call with interrupts off,
 * so a program file must not choose how long that call lasts. */
#define PM_USER_IMAGE_MEM  (4u << 20)
#define PM_SERVICE_RESERVE 26      /* NR_SERVICES (os/include/rspub.h) + INIT + RS */
#define PM_USER_MAX        (NR_PM_PROCS - PM_SERVICE_RESERVE)
/* Of the user slots, the last PM_SHELL_RESERVE go only to new trees (a
 * `run` from the shell, INIT): a user's processes, its orphans included
 * (they stay in their tree), cannot fill them, so however many trees park
 * processes the shell can still start programs. */
#define PM_SHELL_RESERVE   8
#define PK_ROOT    1
#define PK_SERVICE 2
#define PK_USER    3

struct pmproc {
    int  in_use, kind, pid, ppid, ep;
    char name[LABEL_MAX];
    int  zombie, status;        /* user process ended, parent not told yet */
    int  wait_for;              /* waiting in PM_WAIT for this pid (-1 any), -2 none */
    int  tree;                  /* user process: pid of its tree's first process */
};

extern struct pmproc pmtab[NR_PM_PROCS];
struct pmproc *pm_by_ep(int ep);
struct pmproc *pm_by_pid(int pid);
struct pmproc *pm_add(int kind, int ep, int ppid, const char *name);
/* with this pid if it is free (pid >= 0), else the next one */
struct pmproc *pm_add_as(int kind, int ep, int ppid, const char *name, int pid);
void pm_pids_above(int pid);     /* new pids from now on are above pid */
/* services.c */
void pm_sync_services(const struct sef_init_info *info);
int  pm_srv_start(message *m);
int  pm_srv_exit(message *m);
/* by: the requester's endpoint, whose rights decide the program's */
int  pm_spawn(struct pmproc *parent, int by, const char *name, const char *args);
void pm_child_ended(struct pmproc *p, int status);
void pm_reap_signals(void);
int  pm_count_user(int tree);    /* a tree's processes, or all user processes if -1 */
void pm_save(void);
int  pm_restore(const char **why);   /* entries restored, or an error and its cause */
#endif
