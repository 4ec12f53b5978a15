/* alarm_audit.c - alarms the clock let pass, delivered late instead of
 * never.
 *
 * clock_tick (clock.c) fires every alarm whose tick has come: it clears
 * alarm_at and sends its owner a notification from CLOCK. So at the next
 * tick, before clock_tick runs, no privilege in use can hold an alarm
 * whose tick is already past (0 < alarm_at <= ticks): that tick's own
 * clock_tick would have fired it. One that does was lost by a fault in
 * the clock's alarm loop (a branch that skips it, a loop cut short); its
 * owner waits for CLOCK for good (a service's heartbeat, RS's
 * supervision, a client's sleep), and the guardian then sees RS stale.
 * Delivered here, it comes one tick late. A fault that broke the loop for
 * good (a branch rewritten in the kernel's code) leaves every alarm to
 * this audit: delivered on every tick, late by one each.
 *
 * Why not "a process receiving from CLOCK with no alarm set": a process
 * may wait on CLOCK with no alarm (it cancelled one, or waits for a
 * notification that CLOCK never sends) and that is its own bug, not the
 * kernel's; an overdue alarm is never legitimate (SYS_SETALARM sets a
 * tick after the current one), so this check cannot take a sound state
 * for a broken one.
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

void alarm_audit(void)
{
    for (int id = 0; id < NR_PRIV_IDS; id++) {
        struct priv *pv = &priv_table[id];
        if (!pv->in_use || !pv->alarm_at || pv->alarm_at > ticks) continue;
        uint32_t due = pv->alarm_at;
        pv->alarm_at = 0;
        struct proc *p = priv_owner(id);
        if (p) ipc_notify_from(proc_addr(CLOCK), p);
        repaired++;
        if (repaired <= QUIET_AFTER || !(repaired & (repaired - 1)))
            kevent("ev=kernel_repaired what=alarm by=audit proc=%s ep=%d priv=%d due=%u late=%u n=%u",
                   p ? p->name : "-", p ? p->endpoint : NONE, id, due, ticks + 1 - due, repaired);
    }
}
