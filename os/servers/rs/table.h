/* table.h - RS's static tables: for every service it may start, the
 * privileges (IPC targets, kernel calls, flags), the system flags and the
 * device / heartbeat properties. */
#ifndef RS_TABLE_H
#define RS_TABLE_H
#include "../../lib/libsys/syslib.h"

/* sys flags */
#define SF_CORE      0x01   /* a boot service RS cannot do without */
#define SF_SYNCH_BOOT 0x02  /* RS waits for its init reply before the next */
#define SF_NEED_COPY 0x04   /* keep a copy of the executable for restarts */

struct rs_priv_entry {
    const char *label;
    uint32_t    flags;       /* PF_* */
    uint32_t    trap_mask;
    const char *ipc;         /* "*" = everyone, else space-separated labels */
    uint64_t    k_calls;
    int         priority;
    int         quantum;
    uint32_t    sys_flags;   /* SF_* */
    int         period;      /* heartbeat period in ticks, 0 = none */
};

extern const struct rs_priv_entry rs_priv_table[];
const struct rs_priv_entry *rs_priv_lookup(const char *label);
#endif
