/* table.c - PM's process table: pids, parents and lookups. */
#include "pm.h"

struct pmproc pmtab[NR_PM_PROCS];
static int next_pid = 0;

/* The table is PM's whole state. It is kept in DS after every change, so
 * a restarted or updated PM carries the process tree on. A copy that comes
 * back is checked before it is used, as DS checks what it keeps: a
 * checksum written with every save (the bytes may have gone bad on the
 * way, in DS, or in PM's buffer) and the shape of a process tree (a PM
 * that saved while a fault had its table wrong). A copy that fails either
 * check fails PM's init with the cause named; a new tree would forget
 * every user process and its parent without a word. */
#define PM_MAGIC 0x504d5442
static struct {
    uint32_t magic, sum;         /* sum: of next_pid and tab, never 0 */
    int next_pid;
    struct pmproc tab[NR_PM_PROCS];
} saved;
_Static_assert(sizeof saved <= DS_STATE_MAX, "PM state must fit DS");

static uint32_t saved_sum(void)
{
    uint32_t s = 2166136261u;
    const uint8_t *b = (const uint8_t *)&saved.next_pid;
    for (uint32_t i = 0; i < sizeof saved.next_pid; i++) s = (s ^ b[i]) * 16777619u;
    b = (const uint8_t *)saved.tab;
    for (uint32_t i = 0; i < sizeof saved.tab; i++) s = (s ^ b[i]) * 16777619u;
    return s | 1u;
}

void pm_save(void)
{
    saved.magic = PM_MAGIC;
    saved.next_pid = next_pid;
    memcpy(saved.tab, pmtab, sizeof pmtab);
    saved.sum = saved_sum();
    int r = sef_state_save(&saved, sizeof saved);
    if (r != OK) event("ev=pm_save_failed err=%d", r);
}

static const struct pmproc *saved_pid(int pid)
{
    for (int i = 0; i < NR_PM_PROCS; i++)
        if (saved.tab[i].in_use && saved.tab[i].pid == pid) return &saved.tab[i];
    return 0;
}

/* Is the saved table a process tree? INIT is pid 0 and the root, RS pid 1
 * under it; every other process has a kind, a pid below next_pid that no
 * other process has, and a parent pid. The parent itself may be gone: a
 * service that started user processes (the shell in tty) and ended leaves
 * them with its pid. */
static int saved_is_tree(void)
{
    const struct pmproc *init = saved_pid(0), *rs = saved_pid(1);
    if (!init || init->kind != PK_ROOT || !rs || rs->kind != PK_SERVICE || rs->ppid != 0)
        return 0;
    for (int i = 0; i < NR_PM_PROCS; i++) {
        const struct pmproc *p = &saved.tab[i];
        if (!p->in_use) continue;
        if (p->in_use != 1 || p->kind < PK_ROOT || p->kind > PK_USER) return 0;
        if (p->pid < 0 || p->pid >= saved.next_pid || saved_pid(p->pid) != p) return 0;
        if (p != init && p->ppid < 0) return 0;
    }
    return 1;
}

/* Entries restored, ENOENT when nothing was saved, or another error with
 * *why naming the check that failed. */
int pm_restore(const char **why)
{
    *why = "retrieve";
    int r = sef_state_restore(&saved, sizeof saved);
    if (r < 0) return r;
    /* injected: the copy that came back went bad, for the checks to find */
    if (r == (int)sizeof saved && FI_ERROR("pm.keep.corrupt")) saved.tab[1].ppid ^= 0x5a;
    *why = "size";
    if (r != (int)sizeof saved) return EINVAL;
    *why = "magic";
    if (saved.magic != PM_MAGIC) return EINVAL;
    *why = "checksum";
    if (saved.sum != saved_sum()) return EIO;
    *why = "tree";
    if (!saved_is_tree()) return EIO;
    *why = "";
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
