/* kdebug.h - the map of the kernel's process table that the host debugger
 * reads through QEMU's GDB stub (os/kernel/kdebug.c fills it in,
 * faultinj/inspect.py reads it). Its layout is in contract/guest_host.def,
 * so the host's view of it is derived, not restated. */
#ifndef KDEBUG_H
#define KDEBUG_H
#include <stdint.h>

struct kdebug_info {
    uint32_t magic, version;
    uint32_t proc_table, proc_size, nr_entries, nr_tasks;
    uint32_t off_nr, off_endpoint, off_rts, off_pdir, off_name, off_dispatches;
    uint32_t ticks;
};
#endif
