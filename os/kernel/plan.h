/* plan.h - the experiment plan the host hands the scenario (plan.c). */
#ifndef KERNEL_PLAN_H
#define KERNEL_PLAN_H
#include "proc.h"
int plan_take(struct proc *caller, uint32_t uaddr, uint32_t len);
#endif
