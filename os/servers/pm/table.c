/* table.c - PM's process table: pids, parents and lookups. */
#include "pm.h"

struct pmproc pmtab[NR_PM_PROCS];
static int next_pid = 0;

/* The table is PM's whole state. It is kept in DS after every change, so
 * a restarted or updated PM carries the process tree on. */
#define PM_MAGIC 0x504d5442
static struct { uint32_t magic; int next_pid; struct pmproc tab[NR_PM_PROCS]; } saved;
_Static_assert(sizeof saved <= DS_STATE_MAX, "PM state must fit DS");

void pm_save(void)
{
    saved.magic = PM_MAGIC;
    saved.next_pid = next_pid;
    memcpy(saved.tab, pmtab, sizeof pmtab);
    int r = sef_state_save(&saved, sizeof saved);
    if (r != OK) event("ev=pm_save_failed err=%d", r);
}

int pm_restore(void)
{
    int r = sef_state_restore(&saved, sizeof saved);
    if (r != (int)sizeof saved || saved.magic != PM_MAGIC) return r < 0 ? r : EINVAL;
    memcpy(pmtab, saved.tab, sizeof pmtab);
    next_pid = saved.next_pid;
    int n = 0;
    for (int i = 0; i < NR_PM_PROCS; i++) {
        pmtab[i].wait_for = -2;      /* waiters got EDEADSRCDST and ask again */
        n += pmtab[i].in_use;
    }
    return n;
}

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

int pm_count_user(int tree)
{
    int n = 0;
    for (int i = 0; i < NR_PM_PROCS; i++) {
        struct pmproc *p = &pmtab[i];
        n += p->in_use && p->kind == PK_USER && (tree < 0 || p->tree == tree);
    }
    return n;
}

void pm_pids_above(int pid)
{
    if (pid >= next_pid) next_pid = pid + 1;
}

struct pmproc *pm_add(int kind, int ep, int ppid, const char *name)
{
    return pm_add_as(kind, ep, ppid, name, -1);
}

struct pmproc *pm_add_as(int kind, int ep, int ppid, const char *name, int pid)
{
    if (pid >= 0 && pm_by_pid(pid)) pid = -1;      /* taken: a pid is never shared */
    for (int i = 0; i < NR_PM_PROCS; i++) {
        struct pmproc *p = &pmtab[i];
        if (p->in_use) continue;
        memset(p, 0, sizeof *p);
        p->in_use = 1;
        p->kind = kind;
        p->pid = pid >= 0 ? pid : next_pid++;
        pm_pids_above(p->pid);
        p->ppid = ppid;
        p->ep = ep;
        p->wait_for = -2;
        strlcpy(p->name, name, LABEL_MAX);
        return p;
    }
    return 0;
}
