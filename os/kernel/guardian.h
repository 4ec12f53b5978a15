/* guardian.h - RS restarted in place when it dies (guardian.c). */
#ifndef KERNEL_GUARDIAN_H
#define KERNEL_GUARDIAN_H
#include "proc.h"
void rs_guardian(struct proc *p, const char *why);
void guardian_tick(void);
#endif
