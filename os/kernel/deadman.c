/* deadman.c - the machine's own watchdog (QEMU's ib700 on the harness's
 * machines, faultinj/qemu.py), for a kernel that can no longer end a run
 * itself. The run's virtual-time limit (watchdog.c) and the lockup
 * detector (lockup.c) both need a kernel that still runs its trap
 * handling; one whose handling faults in turn (its code unmapped under a
 * wild page directory: each fault faults again, panic() too) would crawl
 * on for ever, with no tick to end the run. So every clock tick the kernel
 * takes puts the device's timer DEADMAN_S seconds of virtual time ahead;
 * when that many pass without one, QEMU stops the machine, the GDB stub
 * says so, and the host ends the run with the machine's verdict: the
 * kernel stopped taking its clock. The device's timer runs on QEMU's
 * virtual clock, so where it fires is a function of the run like the rest.
 * A machine without the device (`make run`) ignores the writes. */
#include "kernel.h"
#include "contract.h"

#define IB700_ENABLE 0x443   /* a write (re)starts the timer, its value the time */

/* the device's times, 30 s down to 0 in steps of 2: index (30 - s) / 2 */
_Static_assert(DEADMAN_S >= 2 && DEADMAN_S <= 30 && DEADMAN_S % 2 == 0, "an ib700 time");

void deadman_pet(void)
{
    outb(IB700_ENABLE, (30 - DEADMAN_S) / 2);
}
