/* table.c - PM's process table: pids, parents and lookups. */
#include "pm.h"

struct pmproc pmtab[NR_PM_PROCS];
static int next_pid = 0;

struct pmproc *pm_by_ep(int ep)
{
    for (int i = 0; i < NR_PM_PROCS; i++)
        if (pmtab[i].in_use && !pmtab[i].zombie && pmtab[i].ep == ep) return &pmtab[i];
    return 0;
}

struct pmproc *pm_by_pid(int pid)
{
    for (int i = 0; i < NR_PM_PROCS; i++)
        if (pmtab[i].in_use && pmtab[i].pid == pid) return &pmtab[i];
    return 0;
}

struct pmproc *pm_add(int kind, int ep, int ppid, const char *name)
{
    for (int i = 0; i < NR_PM_PROCS; i++) {
        struct pmproc *p = &pmtab[i];
        if (p->in_use) continue;
        memset(p, 0, sizeof *p);
        p->in_use = 1;
        p->kind = kind;
        p->pid = next_pid++;
        p->ppid = ppid;
        p->ep = ep;
        p->wait_for = -2;
        strlcpy(p->name, name, LABEL_MAX);
        return p;
    }
    return 0;
}
