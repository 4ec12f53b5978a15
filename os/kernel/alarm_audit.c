/* alarm_audit.c - alarms the clock let pass, delivered late instead of
 * never.
 *
 * clock_tick (clock.c) fires every alarm whose tick has come: it clears
 * alarm_at and sends its owner a notification from CLOCK. So an alarm in
 * use whose tick is past (0 < alarm_at <= ticks) is gone at the next
 * tick. One still there after a clock tick that should have fired it was
 * lost by a fault in the clock's alarm loop (a branch that skips it, a
 * loop cut short); its owner waits for CLOCK for good (a service's
 * heartbeat, RS's supervision, a client's sleep), and the guardian then
 * sees RS stale. Delivered here, it comes a tick or two late. A fault
 * that broke the loop for good (a branch rewritten in the kernel's code)
 * leaves every alarm to this audit.
 *
 * Why "still overdue at a second audit" and not at the first: SYS_SETALARM
 * with so many ticks that ticks + them wraps sets an alarm at or before
 * the current tick (sys_info.c), which the next tick fires as it should;
 * seen once, an overdue alarm may be that. Audits run at ticks (trap.c),
 * each before that tick's clock_tick, so between two audits at least one
 * clock_tick ran, with the alarm due: the same alarm overdue at both was
 * skipped.
 *
 * Why not "a process receiving from CLOCK with no alarm set": a process
 * may wait on CLOCK with no alarm (it cancelled one, or waits for a
 * notification that CLOCK never sends), and that is its own bug, not the
 * kernel's; and a skipped alarm leaves alarm_at set, which that check
 * would take for sound.
 *
 * Cheap: one pass over the privilege table, as clock_tick's own. Not
 * instrumented (Makefile: AUTO_KERNEL_SKIP): an audit carrying the fault
 * it looks for would be no audit. */
#include "proc.h"
#include "kaudit.h"

/* Repairs so far: every one is an event up to this many, then only at
 * powers of two, so a loop broken for good does not flood the trace; the
 * event's n says how many there were. */
#define QUIET_AFTER 8
static uint32_t repaired;
/* per privilege: the alarm found overdue at the last audit, 0 if none */
static uint32_t overdue[NR_PRIV_IDS];

void alarm_audit(void)
{
    for (int id = 0; id < NR_PRIV_IDS; id++) {
        struct priv *pv = &priv_table[id];
        uint32_t due = pv->in_use ? pv->alarm_at : 0;
        if (!due || due > ticks) { overdue[id] = 0; continue; }
        if (overdue[id] != due) { overdue[id] = due; continue; }   /* the clock's turn first */
        overdue[id] = 0;
        pv->alarm_at = 0;
        struct proc *p = priv_owner(id);
        if (p) ipc_notify_from(proc_addr(CLOCK), p);
        repaired++;
        if (repaired <= QUIET_AFTER || !(repaired & (repaired - 1)))
            kevent("ev=kernel_repaired what=alarm by=audit proc=%s ep=%d priv=%d due=%u late=%u "
                   "n=%u", p ? p->name : "-", p ? p->endpoint : NONE, id, due, ticks + 1 - due,
                   repaired);
    }
}
