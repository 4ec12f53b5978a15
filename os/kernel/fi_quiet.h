/* fi_quiet.h - can a fault act in the kernel in this run (fi_quiet.c)?
 * trap.c's IPC entry asks on every call, so the common case is inline:
 * the fault table unchanged since the last look. Kept out of system.h,
 * which every kernel file includes: a change to the fault table's header
 * (fi.h) rebuilds only the files that ask. */
#ifndef FI_QUIET_H
#define FI_QUIET_H
#include "../include/fi.h"

#if FAULTINJ
void fi_quiet_update(void);
extern uint32_t fi_quiet_generation;  /* the table's generation last looked at */
extern int fi_quiet_touched;          /* a fault could act in the kernel this run */
static inline int fi_kernel_quiet(void)
{
    if (fi_table.generation != fi_quiet_generation) fi_quiet_update();
    return !fi_quiet_touched;
}
#else
static inline int fi_kernel_quiet(void) { return 1; }
#endif
#endif
