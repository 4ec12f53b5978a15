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
int do_renew(struct proc *caller, message *m);         /* guardian.c */
int do_fi_fire(struct proc *caller, message *m);
int do_update(struct proc *caller, message *m);
void fi_init(void);
/* fi_auto.c: automatic basic-block sites (markers kept in line with the
 * table, one-shot traps at a fault's target instruction) */
#if FAULTINJ
struct trapframe;
void fi_auto_sync(void);
void fi_auto_sync_proc(struct proc *p);
int fi_auto_trap(struct proc *p, struct trapframe *tf);
int fi_auto_step(struct proc *p, struct trapframe *tf);
int fi_auto_acts_on_insn(uint32_t type);
void fi_auto_swap(struct proc *a, struct proc *b);
void fi_auto_hw_hit(int slot, struct proc *p, struct trapframe *tf);
/* fi_quiet.c (fi_quiet.h: whether it may take the lean IPC path) */
void fi_quiet_update(void);
/* fi_hwbp.c: armed automatic sites on the debug registers. EFLAGS.RF in
 * a trap frame: the instruction at its eip runs once without its
 * instruction breakpoint. */
#define EFL_RF 0x10000u
int fi_hwbp_take(int slot, uint32_t addr);
struct fi_golden_site;
int fi_hwbp_take_golden(struct fi_golden_site *g, const char *bin);
int fi_hwbp_counts(const char *bin, uint32_t addr);
void fi_hwbp_release(int slot);
void fi_hwbp_enter(const struct proc *p);
extern int fi_hwbp_busy;
int fi_hwbp_hit(struct proc *p, struct trapframe *tf);
void fi_hwbp_settle(void);
#define FI_AUTO_SYNC() fi_auto_sync()
#define FI_AUTO_SYNC_PROC(p) fi_auto_sync_proc(p)
#define FI_AUTO_SWAP(a, b) fi_auto_swap(a, b)
#else
#define FI_AUTO_SYNC() ((void)0)
#define FI_AUTO_SYNC_PROC(p) ((void)(p))
#define FI_AUTO_SWAP(a, b) ((void)(a), (void)(b))
#endif

/* endpoint argument that may be SELF; a live non-task process or NULL */
struct proc *arg_proc(struct proc *caller, int ep, int *err);
struct proc *ctl_proc(struct proc *caller, int ep, const char *call, int *err);
int denial_shown(void);      /* print this denial? (a flood is summarised) */
void denials_flush(void);    /* every tick: the summary of a period that is over */
uint32_t denials_due(void);
void proc_exit(struct proc *p, const char *why);
#endif
