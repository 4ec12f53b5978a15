/* kdebug.c - a map of the kernel's process table for the host debugger.
 * The host (faultinj/inspect.py) reads this through QEMU's GDB stub to find
 * any process's page directory, so it can read that process's memory by
 * symbol (for example RS's public table) without stopping at a breakpoint. */
#include "proc.h"
#include "../include/kdebug.h"
#include "contract.h"

const struct kdebug_info kdebug_info __attribute__((used)) = {
    KDEBUG_MAGIC, KDEBUG_VERSION,
    (uint32_t)proc_table, sizeof(struct proc), NR_TASKS + NR_PROCS, NR_TASKS,
    offsetof(struct proc, nr), offsetof(struct proc, endpoint), offsetof(struct proc, rts),
    offsetof(struct proc, pdir), offsetof(struct proc, name), offsetof(struct proc, dispatches),
    (uint32_t)&ticks,
};
