/* watchdog.c - the virtual-time limit of a run. The boot command line may
 * say `deadline=MS` (or the host's plan, plan.c): once the guest's virtual clock passes MS milliseconds,
 * the kernel reports where every process is blocked and ends the machine
 * with GUEST_DEADLINE. Under -icount this bound is part of the experiment
 * (the same run stops at the same instruction every time), unlike a host
 * timer, which stops it wherever the host happened to be. */
#include "proc.h"
#include "watchdog.h"

static uint32_t deadline_ticks;     /* 0: no limit */

void watchdog_init(const char *cmdline)
{
    const char *p = cmdline ? strstr(cmdline, "deadline=") : 0;
    if (!p) return;
    uint32_t ms = 0;
    for (p += 9; *p >= '0' && *p <= '9'; p++) ms = ms * 10 + (uint32_t)(*p - '0');
    watchdog_set(ms);
}

/* ms counts from boot, so a limit set at the plan point means the same
 * instant as one given on the command line */
void watchdog_set(uint32_t ms)
{
    deadline_ticks = ms ? (ms * HZ + 999) / 1000 : 0;
    kevent("ev=deadline_set ms=%u ticks=%u", ms, deadline_ticks);
}

static const char *name_of(int ep)
{
    if (ep == ANY) return "any";
    if (ep == NONE) return "-";
    int err;
    struct proc *p = ep_to_proc(ep, &err);
    return p ? p->name : "dead";
}

/* One line per blocked process: enough for the verdict to tell a client
 * stuck on a service from a system where nothing moves. */
static void report(void)
{
    kevent("ev=deadline ticks=%u", ticks);
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        struct proc *p = &proc_table[i];
        if (is_task(p) || (p->rts & RTS_SLOT_FREE)) continue;
        kevent("ev=stuck proc=%s ep=%d rts=0x%x sendto=%s getfrom=%s", p->name, p->endpoint,
               p->rts, name_of(p->sendto_e), name_of(p->getfrom_e));
    }
}

/* the tick the limit ends the run at, 0: none (tickless.c) */
uint32_t watchdog_due(void)
{
    return deadline_ticks;
}

void watchdog_tick(void)
{
    if (deadline_ticks && ticks >= deadline_ticks) {
        deadline_ticks = 0;
        report();
        machine_exit(GUEST_DEADLINE);
    }
}
