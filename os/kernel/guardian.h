/* guardian.h - RS restarted in place when it dies (guardian.c). */
#ifndef KERNEL_GUARDIAN_H
#define KERNEL_GUARDIAN_H
#include "proc.h"
void rs_guardian(struct proc *p, const char *why);
void guardian_tick(void);
uint32_t guardian_due(void);
void guardian_rs_blocked(void);  /* RS went from runnable to blocked */
void guardian_rs_alarm(void);     /* RS set its alarm: its supervision goes on */
#endif
