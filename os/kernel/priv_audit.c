/* priv_audit.c - every live process's privilege pointer checked against
 * the privilege table, and a bad one repaired from the table.
 *
 * The link between a process and its privilege is kept twice: the
 * process's pointer (p->priv, which the kernel follows on every call the
 * process makes and every message sent to it) and the entry's owner
 * (priv->proc_nr, which priv_owner follows for notifications and alarms).
 * A fault that corrupts the pointer (a bit flipped in a word of the
 * process table) leaves a process whose every IPC is judged by whatever
 * lies at the wild address, and whose exit frees that address as a
 * privilege while its real entry stays in use for good: every restart of
 * the service then finds its static id taken and is killed at once.
 *
 * Which side is right when they disagree: the one that is sound on its
 * own. A pointer that is not at an entry's exact start is wrong whatever
 * the table says (no sound pointer looks like that); so is one at a free
 * entry that does not name the process (a freed entry names no one). Then
 * the table is primary, and the pointer is set again to the one entry in
 * use that names this process as its owner. (A free entry that names it,
 * or a shared one, lost its in_use word instead, which is set back.)
 * A pointer at an in-use entry (not a shared user one) whose owner is
 * another slot is wrong on one side. Only shared user privileges are ever shared (a fork
 * shares its parent's only when the parent is no system process, and
 * every unshared entry is a system process's: sys_priv.c, apply_spec), so
 * if the slot it names points there too, the entry is that slot's and
 * this pointer is the wrong one: set again from the table as above. If
 * nothing else claims the entry (the slot it names is free or points
 * elsewhere) and no entry names this process, the pointer is the only
 * link left and the owner field is the corrupted word: it is set back.
 * A process that points at a shared user privilege (INIT's, the tools')
 * needs only that entry in use: those are owned by no one process.
 *
 * No repair possible (no entry, or several, names the process): the
 * pointer is cleared. A null privilege is a state every kernel path
 * checks for (the process's calls are refused, nothing is sent to it, it
 * owns nothing to free at its exit), so the kernel never follows the wild
 * pointer again; the process fails its calls and its supervisor finds it
 * hung and restarts it, as after any fault in it. A panic would lose the
 * whole system for one process's link.
 *
 * Cheap: a range check per live slot; the table is searched only for a
 * pointer found bad. Not instrumented (Makefile: AUTO_KERNEL_SKIP). */
#include "proc.h"
#include "kaudit.h"

#define NSLOTS (NR_TASKS + NR_PROCS)

/* A pointer at an entry's exact start (a corrupted one may be neither). */
static int entry_at(const struct priv *pv)
{
    uint32_t off = (uint32_t)pv - (uint32_t)priv_table;
    return (uint32_t)pv >= (uint32_t)priv_table && off < sizeof priv_table &&
           off % sizeof *pv == 0;
}

static int live(const struct proc *p)
{
    return !(p->rts & RTS_SLOT_FREE);
}

/* How many in-use, unshared entries name slot nr as their owner; the
 * last of them in *found. */
static int owned_by(int nr, struct priv **found)
{
    int n = 0;
    *found = 0;
    for (int id = 0; id < NR_PRIV_IDS; id++) {
        struct priv *pv = &priv_table[id];
        if (!pv->in_use || is_user_priv_id(id) || pv->proc_nr != nr) continue;
        n++;
        *found = pv;
    }
    return n;
}

static void report(const struct proc *p, const char *fix, uint32_t was, uint32_t now)
{
    kevent("ev=kernel_repaired what=priv by=audit proc=%s ep=%d fix=%s was=0x%x now=0x%x",
           p->name, p->endpoint, fix, was, now);
}

/* p's pointer is wrong: set again from the table, or cleared. */
static void repoint(struct proc *p)
{
    struct priv *pv;
    if (owned_by(p->nr, &pv) != 1) pv = 0;
    uint32_t was = (uint32_t)p->priv;
    p->priv = pv;
    report(p, pv ? "pointer" : "cleared", was, (uint32_t)pv);
}

void priv_audit(void)
{
    for (int i = 0; i < NSLOTS; i++) {
        struct proc *p = &proc_table[i];
        struct priv *pv = p->priv, *mine;
        if (!pv || !live(p)) continue;
        if (!entry_at(pv)) { repoint(p); continue; }
        int id = (int)(pv - priv_table);
        if (!pv->in_use) {
            /* a freed entry names no one (priv_free), and the shared ones
             * are never freed: one that still names p, or is shared, lost
             * its in_use word; else p's pointer is the wrong word */
            if (is_user_priv_id(id) || pv->proc_nr == p->nr) {
                pv->in_use = 1;
                report(p, "in_use", 0, 1);
            } else {
                repoint(p);
            }
            continue;
        }
        if (is_user_priv_id(id) || pv->proc_nr == p->nr) continue;
        /* an in-use entry that names another slot: this pointer or that
         * owner field is what a fault changed */
        int o = pv->proc_nr;
        if ((isokprocn(o) && live(proc_addr(o)) && proc_addr(o)->priv == pv) ||
            owned_by(p->nr, &mine) != 0) {
            repoint(p);              /* the entry is another's; p's, if any, named p */
            continue;
        }
        pv->proc_nr = p->nr;
        report(p, "owner", (uint32_t)o, (uint32_t)p->nr);
    }
}
