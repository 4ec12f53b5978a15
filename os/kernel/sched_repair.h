/* sched_repair.h - the run queues checked against the process table and
 * rebuilt from it (sched_repair.c). */
#ifndef SCHED_REPAIR_H
#define SCHED_REPAIR_H

#include "proc.h"

/* 0 if the run queues say what the process table says, else what not. */
const char *sched_queues_check(void);
/* Whether a complaint (kernel_check's) is one of sched_queues_check's. */
int sched_queues_complaint(const char *what);
/* Rebuild every run queue from the table; one event kernel_repaired
 * what=run_queues, `by` naming who found them wrong. */
void sched_repair(const char *by);
/* The periodic audit (trap.c, at a clock tick that found the kernel
 * quiescent): check, and repair if wrong. */
void sched_audit(void);
/* run_next: is pick_proc's choice a runnable process at its queue's head;
 * if not, refused (queues rebuilt, event, panic when it keeps happening);
 * taken once one is switched to. */
int  sched_pick_sound(const struct proc *p);
void sched_pick_refused(const struct proc *p);
void sched_pick_taken(void);

#endif
