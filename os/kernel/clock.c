/* clock.c - the PIT tick: time keeping, quantum accounting and the
 * per-process alarms, which CLOCK delivers as notifications. */
#include "proc.h"
#include "protect.h"
#include "watchdog.h"
#include "guardian.h"
#include "system.h"

#define PIT_HZ   1193182u
#define LATCH    (PIT_HZ / HZ)

volatile uint32_t ticks;
static uint64_t last_usec;

static void pit_program(void)
{
    outb(0x43, 0x34);                 /* channel 0, lo/hi, rate generator */
    outb(0x40, LATCH & 0xff);
    outb(0x40, LATCH >> 8);
}

void clock_init(void)
{
    pit_program();
    irq_enable(0);
}

/* At the plan point (warm.c): the PIT starts a period afresh, so the next
 * tick comes the same number of instructions later whether the machine
 * booted or came back here. */
void clock_settle(void)
{
    pit_program();
}

/* Virtual microseconds since boot: ticks plus the PIT's progress in the
 * current tick. Under -icount this is deterministic. */
uint64_t uptime_usec(void)
{
    outb(0x43, 0x00);
    uint32_t lo = inb(0x40), hi = inb(0x40);
    uint32_t count = (hi << 8) | lo;
    if (count > LATCH) count = LATCH;
    uint64_t us = (uint64_t)ticks * (1000000u / HZ) +
                  (uint64_t)(LATCH - count) * 1000000u / PIT_HZ;
    if (us < last_usec) us = last_usec;   /* a tick may be pending */
    last_usec = us;
    return us;
}

void clock_tick(void)
{
    ticks++;
    watchdog_tick();
    guardian_tick();
    denials_flush();
    ipc_deadline_tick();
    if (current && !is_task(current)) {
        current->user_ticks++;
        sched_tick();
    }
    for (int id = 0; id < NR_PRIV_IDS; id++) {
        struct priv *pv = &priv_table[id];
        if (pv->in_use && pv->alarm_at && pv->alarm_at <= ticks) {
            pv->alarm_at = 0;
            struct proc *p = priv_owner(id);
            if (p)
                ipc_notify_from(proc_addr(CLOCK), p);
        }
    }
}
