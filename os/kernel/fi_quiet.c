/* fi_quiet.c - can a fault act in the kernel in this run?
 *
 * The IPC path's lean form (trap.c, ipc_dispatch) does a call without the
 * recovery point of contain.c and switches straight to the process the
 * scheduler picks, without run_next's recovery window and its look at the
 * pick. Those are there for the faults injected into the kernel, and such
 * a fault comes only from a slot armed in the kernel's own code
 * (ipc_fast.c's blocks among them): a hand site of the kernel's
 * ("kernel.*", and the groups and "*" that cover them) or one of its
 * automatic sites (proc "kernel"). The golden run's counting of the
 * kernel's automatic sites keeps it off too: it must count the hits of
 * the path a run armed there takes. So the lean form is taken only while
 * none of these is in the table.
 *
 * Once one has been, the rest of the run keeps to the contained path,
 * also after the slot is used up or disarmed: what the fault did to the
 * kernel stays. The answer lives in the kernel's memory, so the plan
 * point's comes back with a warm reset or a loadvm.
 *
 * Checked again whenever the table's generation moves (the host's writes
 * bump it, as the kernel's own arming does) and at every FI_AUTO_SYNC,
 * which follows the host's writes of the golden run's sites. */
#include "proc.h"
#include "system.h"
#include "fi_quiet.h"

#if FAULTINJ

extern uint32_t fi_golden_nr;
extern char fi_golden_bins[FI_GOLDEN_BINS][FI_GOLDEN_NAME];

uint32_t fi_quiet_generation = ~0u;  /* the table's generation last looked at */
int fi_quiet_touched;                /* a fault could act in the kernel this run */

static int slot_in_kernel(const struct fi_slot *s)
{
    if (!s->active) return 0;
    if (s->site[0] == '@') return !strcmp(s->proc, "kernel");
    return s->site[0] == '*' || !strncmp(s->site, "kernel", 6);
}

static int golden_in_kernel(void)
{
    if (!fi_golden_nr) return 0;
    for (int b = 0; b < FI_GOLDEN_BINS; b++)
        if (!strcmp(fi_golden_bins[b], "kernel")) return 1;
    return 0;
}

void fi_quiet_update(void)
{
    fi_quiet_generation = fi_table.generation;
    if (fi_quiet_touched) return;
    fi_quiet_touched = golden_in_kernel();
    for (int i = 0; i < FI_SLOTS && !fi_quiet_touched; i++)
        fi_quiet_touched = slot_in_kernel(&fi_table.slot[i]);
}
#endif /* FAULTINJ */
