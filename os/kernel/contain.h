/* contain.h - containing a fault the kernel takes while it serves one
 * process's kernel call or IPC (contain.c). */
#ifndef CONTAIN_H
#define CONTAIN_H

#include "proc.h"

/* The recovery point: trap.c saves it with __builtin_setjmp right before
 * it serves a call, so a contained fault lands back there. */
extern void *contain_ctx[5];

void contain_arm(struct proc *caller, int ipc);   /* serving caller's call from here */
void contain_disarm(void);
void contain_note_call(int call);                /* which kernel call (system.c) */
void contain_commit(void);          /* a process's state changed (proc.c) or output went out */
void contain_reply(const message *m);            /* a kernel call's answer (system.c) */
void contain_quiet(int on);         /* an interrupt's or the fault machinery's effects are not the call's */
int  contain_armed(void);
/* A fault in the kernel (an exception, an injected crash, a call that
 * overran its deadline): back to the recovery point if a call is being
 * served, else returns and the caller panics. */
void contain_fault(const struct trapframe *tf, const char *what);
void contain_tick(const struct trapframe *tf);  /* a clock interrupt taken in the kernel */
/* After landing at the recovery point: check the kernel, then fail the
 * call with EFAULT or end its caller; panics if the kernel is unsafe. */
void contain_recover(void);
/* The scheduler's window (trap.c: run_next): on while it picks, off while
 * it idles; done once a process is chosen; recover after a fault there. */
void contain_sched(int on);
void contain_sched_done(void);
void contain_sched_recover(void);
/* The kernel's own consistency (kcheck.c): 0 if sound, else what is broken. */
const char *kernel_check(void);

#endif
