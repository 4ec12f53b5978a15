/* tickless.c - idle ticks at which nothing is due are not taken.
 *
 * Under -icount sleep=off an idle tick costs the guest almost nothing but
 * costs QEMU a round of hand-offs between its CPU thread and its main loop
 * (about 0.15 ms of host time, issue 23); a campaign's runs spend most of
 * their virtual time idle, waiting for RS's heartbeats to find a fault.
 * So when the kernel is about to halt with nothing ready, it asks every
 * subsystem that acts at a tick for the first tick it must act at (the
 * run's limit, alarms, IPC deadlines, RS's guardian, the denials' summary
 * period) and lets the PIT count once to that tick (at most ~5 ticks)
 * instead of interrupting at each; the lockup detector's HPET stands still
 * meanwhile (lockup.c). At the interrupt the skipped ticks are counted
 * and clock_tick runs once, for the tick that is due, as it would have.
 *
 * What a skipped tick would have done is nothing: by construction nothing
 * was due at it, and the audits a quiescent tick runs (trap.c) find on it
 * what they found on the idle tick before: a skip only begins after one
 * tick with its audits has passed idle, with no process run since. What
 * changes is only where the ticks fall: the PIT starts its period again at
 * the interrupt, a few hundred instructions after the due tick's start,
 * and the HPET's NMIs move by the time it stood still. Both happen at
 * points the guest defines, so a run stays one deterministic run: the same
 * trace, virtual times included, after a boot or a reset.
 *
 * "tickless=0" on the command line takes every tick, for comparison
 * (tests/test_tickless.py: the same events either way, times aside). */
#include "proc.h"
#include "watchdog.h"
#include "guardian.h"
#include "system.h"

static int audited;            /* a tick audited the idle kernel, nothing ran since */
static int off;                /* tickless=0 */
/* clock interrupts taken: ticks minus the ones skipped (read by the tests) */
volatile uint32_t clock_irqs;

void tickless_init(const char *cmdline)
{
    const char *p = cmdline ? strstr(cmdline, "tickless=0") : 0;
    off = p && (p == cmdline || p[-1] == ' ');
}

void tickless_audited(void) { audited = 1; }
void tickless_busy(void) { audited = 0; }

static uint32_t earlier(uint32_t a, uint32_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

void tickless_idle(void)
{
    if (off || !audited || clock_skipping()) return;
    uint32_t due = earlier(earlier(watchdog_due(), guardian_due()),
                           earlier(earlier(denials_due(), ipc_deadline_due()), alarms_due()));
    if (!due) due = ticks + 1000;    /* nothing at all: as far as the PIT goes */
    if (due <= ticks + 1) return;
    if (clock_skip(due - ticks)) lockup_idle(1);
    /* refused (the PIT did not take the one-shot and began its period
     * again): not again before a tick, or each NMI that wakes the idle
     * loop would begin the period anew and no tick would ever come */
    else audited = 0;
}

void tickless_wake(int irq)
{
    if (irq == 0) clock_irqs++;
    lockup_idle(0);                  /* first, and whatever the clock's state */
    clock_unskip(irq);
}
