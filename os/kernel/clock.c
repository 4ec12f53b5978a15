/* clock.c - the PIT tick: time keeping, quantum accounting and the
 * per-process alarms, which CLOCK delivers as notifications. The PIT is
 * periodic, except while the idle kernel skips ticks (tickless.c): then
 * one count down (mode 0) ends at the tick that is due. */
#include "proc.h"
#include "protect.h"
#include "watchdog.h"
#include "guardian.h"
#include "system.h"

#define PIT_HZ   1193182u
#define LATCH    (PIT_HZ / HZ)

volatile uint32_t ticks;
static uint64_t last_usec;
/* tickless.c: while the PIT runs a one-shot over several ticks, how many
 * it covers past the current one, what it was loaded with and the counts
 * left of the current tick then; 0: the PIT is periodic */
static uint32_t skip, oneshot_count, oneshot_first;

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
    skip = 0;
    pit_program();
}

static uint32_t pit_read(void)
{
    outb(0x43, 0x00);                 /* latch channel 0 */
    uint32_t lo = inb(0x40), hi = inb(0x40);
    return (hi << 8) | lo;
}

/* Idle until the start of tick ticks+k with one interrupt instead of k
 * (tickless.c): the PIT counts down once (mode 0) from what is left of
 * the current tick plus k-1 whole ones, at most what its 16 bits hold
 * (about 5 ticks). Returns the ticks it covers, 0 if fewer than 2. */
uint32_t clock_skip(uint32_t k)
{
    uint32_t c = pit_read();
    if (c == 0 || c > LATCH) return 0;
    uint32_t most = (0xFFFFu - c) / LATCH + 1;
    if (k > most) k = most;
    if (k < 2) return 0;
    uint32_t n = c + (k - 1) * LATCH;
    outb(0x43, 0x30);                 /* channel 0, lo/hi, interrupt on terminal count */
    outb(0x40, n & 0xff);
    outb(0x40, n >> 8);
    /* The lockup detector stands still while this runs (tickless.c), so
     * its interrupt must come: the PIT says mode 0 (read-back of channel
     * 0's status) and the PIC lets IRQ0 through. If not (a fault broke
     * either), no skip: the tick stays periodic and the detector on. */
    outb(0x43, 0xE2);
    uint32_t status = inb(0x40);
    if ((status & 0x3e) != 0x30 || (inb(0x21) & 1)) {
        pit_program();
        return 0;
    }
    skip = k - 1;
    oneshot_count = n;
    oneshot_first = c;
    return k;
}

int clock_skipping(void)
{
    return skip != 0;
}

/* An interrupt ended the one-shot: the ticks it covered are counted (all
 * but the last, which is clock_tick's, at its end; at another interrupt,
 * those gone by) and the PIT is periodic again, from now. */
void clock_unskip(int irq)
{
    if (!skip) return;
    uint32_t passed = skip;
    if (irq != 0) {
        uint32_t now = pit_read();
        uint32_t gone = now <= oneshot_count ? oneshot_count - now : oneshot_count;
        passed = gone < oneshot_first ? 0 : 1 + (gone - oneshot_first) / LATCH;
        if (passed > skip) passed = skip;
    }
    ticks += passed;
    skip = 0;
    pit_program();
}

/* the earliest tick a process's alarm fires at, 0: none */
uint32_t alarms_due(void)
{
    uint32_t due = 0;
    for (int id = 0; id < NR_PRIV_IDS; id++) {
        struct priv *pv = &priv_table[id];
        if (pv->in_use && pv->alarm_at && (!due || pv->alarm_at < due)) due = pv->alarm_at;
    }
    return due;
}

/* Virtual microseconds since boot: ticks plus the PIT's progress in the
 * current tick. Under -icount this is deterministic. */
uint64_t uptime_usec(void)
{
    uint32_t count = pit_read();
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
