/* plan.c - where one experiment begins: the guest-defined point at which
 * the host hands over the experiment's plan.
 *
 * The scenario driver asks for its steps with SYS_FI_CTL FI_OP_PLAN once
 * every boot service is up. The kernel then passes plan_point(), a function
 * the host holds a hardware breakpoint on: with the machine stopped there,
 * the host writes the steps into plan_steps, the virtual-time limit into
 * plan_deadline_ms and the faults into fi_table, and lets it go on. Because
 * the stop is at an instruction the guest chose, the run that follows is
 * the same whether the machine was booted for this experiment or restored
 * from a snapshot taken at this very stop (the host's machine pool does
 * that), and the same on every host. Without a host, the plan is empty. */
#include "plan.h"
#include "warm.h"
#include "memory.h"
#include "watchdog.h"
#include "system.h"
#include "../include/fi.h"

/* written by the host through the GDB stub; sizes come from the ELF */
char plan_steps[FI_PLAN_MAX];
volatile uint32_t plan_deadline_ms;

/* The word plan_point writes, alone on its page: a machine that resets
 * warm (faultinj/planned.py) stops here on a write watchpoint instead of a
 * breakpoint. Under QEMU 7.2's TCG, going on from a breakpoint means a
 * single step or taking the breakpoint out and back, and each of those
 * throws away every translated block; a watchpoint only slows the
 * accesses to its own page. */
volatile uint32_t plan_mark[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));

void __attribute__((noinline, used)) plan_point(void)
{
    plan_mark[0] = 1;
    __asm__ volatile("" ::: "memory");
}

int plan_take(struct proc *caller, uint32_t uaddr, uint32_t len)
{
    if (len < FI_PLAN_MAX) return EINVAL;
    /* the last line before the stop: the host knows it has the output */
    kevent("ev=plan_point by=%s", caller->name);
    warm_point();                    /* saved here; a reset comes back here */
    plan_point();
    /* every run's machine watchdog starts from here, restored or fresh */
    deadman_pet();
    FI_AUTO_SYNC();                  /* the host may have armed automatic sites */
    plan_steps[FI_PLAN_MAX - 1] = 0;
    uint32_t n = (uint32_t)strlen(plan_steps);
    kevent("ev=plan by=%s bytes=%u deadline_ms=%u", caller->name, n, plan_deadline_ms);
    if (plan_deadline_ms) watchdog_set(plan_deadline_ms);
    return copy_to_user(caller, uaddr, plan_steps, n + 1) == OK ? OK : EFAULT;
}
