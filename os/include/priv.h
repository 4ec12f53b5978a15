/* priv.h - the privilege description RS hands to the kernel with
 * SYS_PRIVCTL(SET_SYS), and the flag bits. The kernel keeps its own
 * struct priv; this is the exchange format. */
#ifndef OS_PRIV_H
#define OS_PRIV_H

#include <stdint.h>

#define NR_PRIV_IDS   64            /* bits in a send mask */
#define static_priv_id(slot) ((slot) + NR_TASKS)   /* tasks and boot slots */
#define NR_STATIC_PRIV_IDS (NR_TASKS + NR_BOOT_PROCS)
/* User processes get no privilege of their own: all share INIT's (as in
 * MINIX), and the fault-injection tools (program files marked `fi`) share
 * a second one that adds SYS_FI_CTL, since a call mask cannot differ
 * between processes that share it. Neither is ever freed. */
#define USER_PRIV_ID    NR_STATIC_PRIV_IDS         /* INIT's, every user process's */
#define FI_USER_PRIV_ID (USER_PRIV_ID + 1)         /* fault-injection tools' */
#define FIRST_DYN_PRIV_ID (FI_USER_PRIV_ID + 1)
#define is_user_priv_id(id) ((id) == USER_PRIV_ID || (id) == FI_USER_PRIV_ID)
#define USER_PRIV_MASK ((1ull << USER_PRIV_ID) | (1ull << FI_USER_PRIV_ID))
#define NULL_PRIV_ID  (-1)

/* priv flags */
#define PF_PREEMPTIBLE 0x02
#define PF_BILLABLE    0x04
#define PF_DYN_PRIV_ID 0x08   /* ask for a dynamic id */
#define PF_SYS_PROC    0x10
#define PF_ROOT_SYS    0x20   /* RS: its death halts the system */

typedef struct priv_spec {
    int32_t  id;          /* static id wanted, or NULL_PRIV_ID */
    uint32_t flags;
    uint32_t trap_mask;   /* allowed IPC calls, 1 << IPC_xxx */
    uint32_t _pad;
    uint64_t ipc_to;      /* may send to these priv ids */
    uint64_t k_calls;     /* allowed kernel calls, 1 << SYS_xxx */
    int32_t  sig_mgr;     /* endpoint told about this process's faults */
    int32_t  priority;    /* scheduling queue, 0 highest */
    int32_t  quantum;     /* ticks */
    int32_t  _pad2;
} priv_spec_t;

#endif
