/* kinfo.h - structures SYS_GETINFO copies out: who am I, the boot image
 * table and a snapshot of the process table. */
#ifndef OS_KINFO_H
#define OS_KINFO_H

#include <stdint.h>

#define PROC_NAME_LEN 16

struct whoami {
    int32_t  endpoint;
    int32_t  priv_id;
    uint32_t priv_flags;
    char     name[PROC_NAME_LEN];
};

struct boot_image_entry {
    int32_t  proc_nr;
    int32_t  endpoint;
    int32_t  module;        /* index of the boot module */
    uint32_t image_size;    /* bytes of the ELF file */
    uint32_t flags;         /* PROC_* */
    char     name[PROC_NAME_LEN];
    char     args[128];     /* module command line after the path */
};

/* boot image flags: the kernel loaded this module as a process, into an
 * address space of its own built from the whole ELF (a program file that
 * PM or RS starts later has no flag) */
#define PROC_FULLVM    0x01

/* run-time flags visible in a snapshot */
#define RTS_SLOT_FREE  0x01
#define RTS_SENDING    0x02
#define RTS_RECEIVING  0x04
#define RTS_NO_PRIV    0x08
#define RTS_SIGNALED   0x10   /* stopped by a fault or kill, manager told */
#define RTS_SIG_PENDING 0x20  /* manager not yet collected it */
#define RTS_PROC_STOP  0x40

struct proc_info {
    int32_t  proc_nr;
    int32_t  endpoint;
    uint32_t rts_flags;
    int32_t  priv_id;
    int32_t  sendto;
    int32_t  getfrom;
    int32_t  priority;
    uint32_t dispatches;    /* times scheduled */
    uint32_t user_ticks;
    /* its last timed SENDREC whose reply never came: to whom (NONE: none
     * yet), at which tick, after how many ticks of waiting */
    int32_t  lost_reply_ep;
    uint32_t lost_reply_at;
    uint32_t lost_reply_waited;
    /* its latest streak of SENDREC replies refused with ENOSYS by one
     * partner to one request type: by whom (NONE: no streak), the
     * request type, how many in a row, the ticks of the first and last */
    int32_t  refused_ep;
    int32_t  refused_type;
    uint32_t refused_n;
    uint32_t refused_since;
    uint32_t refused_at;
    char     name[PROC_NAME_LEN];
};

struct kinfo {
    uint32_t hz;
    uint32_t mem_bytes;
    uint32_t free_frames;
    uint32_t nr_procs;
    uint32_t nr_boot;
    uint32_t nr_modules;
    uint32_t ipc_fast;          /* IPC calls done by the kernel's fast path (ipc_fast.c) */
    uint32_t ipc_lean;          /* of those, done without a recovery point (trap.c, fi_quiet.c) */
};

#endif
