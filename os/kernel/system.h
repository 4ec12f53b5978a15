/* system.h - the SYSTEM task's handlers, one per kernel call. */
#ifndef SYSTEM_H
#define SYSTEM_H
#include "proc.h"
#include "../include/kcall.h"

typedef int (*kcall_handler)(struct proc *caller, message *m);
int do_privctl(struct proc *caller, message *m);
int do_exit(struct proc *caller, message *m);
int do_kill(struct proc *caller, message *m);
int do_getksig(struct proc *caller, message *m);
int do_stop(struct proc *caller, message *m);
int do_vircopy(struct proc *caller, message *m);
int do_setalarm(struct proc *caller, message *m);
int do_times(struct proc *caller, message *m);
int do_getinfo(struct proc *caller, message *m);
int do_diagctl(struct proc *caller, message *m);
int do_abort(struct proc *caller, message *m);
int do_fork(struct proc *caller, message *m);
int do_exec(struct proc *caller, message *m);
int do_grow(struct proc *caller, message *m);
int do_serial(struct proc *caller, message *m);
int do_fi_ctl(struct proc *caller, message *m);
int do_gcov(struct proc *caller, message *m);
int do_fi_fire(struct proc *caller, message *m);
void fi_init(void);

/* endpoint argument that may be SELF; a live non-task process or NULL */
struct proc *arg_proc(struct proc *caller, int ep, int *err);
struct proc *ctl_proc(struct proc *caller, int ep, const char *call, int *err);
void proc_exit(struct proc *p, const char *why);
#endif
