/* kaudit.h - the quiescent clock tick's audits of the kernel's own data
 * beyond the run queues (sched_repair.h): each finds one kind of damage a
 * fault that did not trap leaves behind silently, repairs it from the
 * data that still says what is right, and says so in an event
 * (kernel_repaired). Run by trap.c only when no call is half-done. */
#ifndef KAUDIT_H
#define KAUDIT_H

/* priv_audit.c: every live process's privilege pointer against the
 * privilege table's owners. First: the others follow it. */
void priv_audit(void);
/* alarm_audit.c: alarms the clock let pass without notifying. Last: it
 * wakes processes, so the queues must be sound by then. */
void alarm_audit(void);

#endif
