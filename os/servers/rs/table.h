/* table.h - RS's static table: for every service and program it may start,
 * the privileges (IPC targets, kernel calls, flags), the system flags, the
 * recovery policy, the heartbeat period and how it is supervised. */
#ifndef RS_TABLE_H
#define RS_TABLE_H
#include "../../lib/libsys/syslib.h"
#include "../../include/services.h"

/* sys flags */
#define SF_CORE       0x01   /* boot service the system cannot do without */
#define SF_SYNCH_BOOT 0x02   /* RS waits for its init before starting the next */
#define SF_NOSEF      0x04   /* no init protocol (kernel test programs) */
#define SF_NORESTART  0x08   /* on death: reap, do not restart */
#define SF_USER       0x10   /* user privileges (INIT) */
#define SF_AFTER_BOOT 0x20   /* allowed to run only once every boot service is up */
#define SF_SELF       0x80   /* RS's own entry: in the table to be seen, never managed */
#define SF_FIXED_EP   0x100  /* clients reach it by a fixed endpoint (DS_PROC_EP, ...):
                                a reset (new endpoint) would cut them off */
#define SF_SVC_MGR    0x40   /* may ask RS to start, stop, restart, refresh and update
                                services: the shell's `service`, the scenario driver */

/* How RS supervises a service beyond its restart policy (the sys table's
 * last column; zeros mean RS's defaults, supervise.h). */
struct rs_sup_conf {
    int         max_restarts;  /* intensity: at most this many restarts ... */
    int         window;        /* ... within this many seconds, else escalate */
    const char *chain;         /* escalation stages, comma-separated */
    const char *deps;          /* labels it depends on, comma-separated; 0: none */
    int         dep_policy;    /* RS_DEP_* (rsopts.h): a dependency's new endpoint means */
    int         ping_late;     /* heartbeat answered this many periods late: a warning */
    int         ping_hang;     /* unanswered this many periods: hung */
};

/* one row of each table (table.c) */
struct rs_priv {
    const char *label;
    uint32_t    flags;       /* PF_* */
    uint32_t    trap_mask;
    const char *ipc;         /* "*" = every service, else space-separated labels */
    uint64_t    k_calls;
    uint32_t    vm_calls;    /* VM call mask, handed to VM */
    int         priority, quantum;
};
struct rs_sys {
    const char *label;
    uint32_t    sys_flags;
    int         period, policy;
    const char *binaries;
    struct rs_sup_conf sup;
};
struct rs_dev {
    const char *label;       /* the driver */
    const char *dev;         /* the device it serves */
    int         irq;
    uint32_t    io_base, io_len;
};

/* The merged view: one entry per priv row, its sys row (or the plain
 * defaults) and its dev row if it drives a device. */
struct rs_priv_entry {
    const char *label;
    uint32_t    flags;       /* PF_* */
    uint32_t    trap_mask;
    const char *ipc;         /* "*" = every service, else space-separated labels */
    uint64_t    k_calls;
    uint32_t    vm_calls;    /* VM call mask, handed to VM */
    int         priority;
    int         quantum;
    uint32_t    sys_flags;   /* SF_* */
    int         period;      /* heartbeat period in ticks, 0 = default, -1 = none */
    int         policy;      /* RS_POLICY_RESET or RS_POLICY_RESTART */
    const char *binaries;    /* images a live update may run under this label, space
                                separated; 0: only the label's own */
    struct rs_sup_conf sup;  /* intensity, escalation, dependencies, heartbeat */
    const struct rs_dev *dev;
};

int rs_binary_allowed(const struct rs_priv_entry *e, const char *image);

extern struct rs_priv_entry rs_priv_table[];
void rs_tables_init(void);
const struct rs_priv_entry *rs_priv_lookup(const char *label);
#endif
