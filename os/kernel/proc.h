/* proc.h - the kernel's process table, privilege table and trap frame. */
#ifndef PROC_H
#define PROC_H

#include "kernel.h"
#include "../include/priv.h"
#include "../include/kinfo.h"

/* Saved user context, in the order trap.S pushes it. */
struct trapframe {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
    uint32_t vector, err;
    uint32_t eip, cs, eflags, esp, ss;     /* esp/ss only from ring 3 */
};

struct priv {
    int      id;
    int      proc_nr;          /* owner slot; NONE when free */
    uint32_t flags;
    uint32_t trap_mask;
    uint64_t ipc_to;           /* bit per priv id */
    uint64_t k_calls;          /* bit per kernel call */
    uint64_t notify_pending;   /* bit per sender priv id */
    int      sig_mgr;          /* endpoint */
    uint32_t alarm_at;         /* tick of expiry, 0 = none */
    int      in_use;
};

struct proc {
    /* Room for an NMI's frame pushed while esp is in regs (trap.S,
     * nmi_off): the CPU and the stub push at most 17 words below it. */
    uint32_t trap_slack[17];
    /* Saved user context: a trap from ring 3 pushes it here directly
     * (the TSS's esp0 points just past it while the process runs). */
    struct trapframe regs;
    int      nr;               /* slot, negative for tasks */
    int      endpoint;
    int      gen;
    uint32_t rts;              /* run-time flags, RTS_*; 0 = runnable */
    uint32_t misc;             /* MF_* */
    struct priv *priv;
    uint32_t *pdir;            /* page directory (physical = virtual) */
    int      priority, quantum, ticks_left;
    struct proc *next_ready;

    /* IPC state */
    int      sendto_e, getfrom_e;
    uint32_t msg_uaddr;        /* where a blocked receiver wants its message */
    message  sendmsg;          /* kernel copy of a blocked send */
    struct proc *caller_q;     /* processes blocked sending to me */
    struct proc *q_link;
    uint32_t ipc_deadline;     /* tick a timed SENDREC gives up at (ETIMEDOUT), 0 = none */
    uint32_t ipc_since;        /* tick that timed SENDREC began */
    /* the last timed SENDREC whose reply never came (the partner took the
     * request and did not answer): the kernel's record, which RS checks
     * before it acts on a complaint (RS_COMPLAIN, os/servers/rs/complain.c) */
    int      lost_reply_ep;    /* NONE: none yet */
    uint32_t lost_reply_at, lost_reply_waited;
    /* consecutive SENDREC replies refused (ENOSYS) by one partner to one
     * request type (ipc_refusal.c), checked by RS before it acts on a
     * refused-answers complaint; refused_n 0: no streak (a fresh slot is
     * zeroed) */
    int      refused_ep;
    int32_t  refused_type;
    uint32_t refused_n, refused_since, refused_at;

    /* signals */
    uint32_t sig_pending;
    uint32_t fault_addr, fault_pc;

    /* accounting */
    uint32_t dispatches, user_ticks;
    int      boot_module;      /* -1 if not from the boot image */
    int      creator;          /* who forked it: controls it until it has a manager */
    uint32_t heap_top;         /* bytes of heap mapped at HEAP_BASE (SYS_GROW) */
    /* console output of a user process this period (userout.c) */
    uint32_t out_start, out_bytes, out_dropped;
    char     name[PROC_NAME_LEN];
};

#define MF_REPLY_PEND  0x01    /* in SENDREC: only the reply may arrive */
#define MF_SENDREC     0x02    /* blocked in the send half of SENDREC */

#define NR_SCHED_QUEUES 8
#define USER_Q   6
#define IDLE_Q   7

extern struct proc proc_table[NR_TASKS + NR_PROCS];
extern struct priv priv_table[NR_PRIV_IDS];
extern struct proc *current;
#define proc_addr(n) (&proc_table[(n) + NR_TASKS])
#define isokprocn(n) ((n) >= -NR_TASKS && (n) < NR_PROCS)
#define is_task(p)   ((p)->nr < 0)

/* ipc_deadline.c */
void ipc_deadline_set(struct proc *p, uint32_t timeout);
void ipc_deadline_tick(void);
uint32_t ipc_deadline_due(void);

/* proc.c */
void proc_init(void);
struct proc *ep_to_proc(int ep, int *err);   /* live endpoint -> proc */
struct proc *proc_alloc(int slot);
void proc_ready(struct proc *p);
void proc_unready(struct proc *p);
int  proc_new_image(struct proc *p, uint32_t *pd, uint32_t entry, uint32_t esp);
void set_rts(struct proc *p, uint32_t f);
void clear_rts(struct proc *p, uint32_t f);
void proc_cleanup(struct proc *p);            /* exit: free everything */
struct proc *pick_proc(void);
void sched_tick(void);

/* priv.c */
void priv_init(void);
struct priv *priv_get(int id);                /* NULL_PRIV_ID: dynamic */
void priv_free(struct priv *pv);
void priv_set_sendto(struct priv *a, struct priv *b, int allow);
struct proc *priv_owner(int id);
int  may_send_to(struct proc *from, struct proc *to);

/* Is dst waiting for a message from src? (ipc.c, ipc_fast.c) */
static inline int ipc_receiving_from(const struct proc *dst, const struct proc *src)
{
    if (!(dst->rts & RTS_RECEIVING) || (dst->rts & RTS_SENDING)) return 0;
    return dst->getfrom_e == ANY || dst->getfrom_e == src->endpoint;
}

/* ipc_fast.c: 1 if it did the call, 0 if the general path must */
int  ipc_fast(struct proc *caller);
extern int ipc_fast_calls;
extern int ipc_lean_calls;     /* trap.c: those done on the lean path */

/* ipc.c */
void ipc_trap(struct proc *caller);
int  ipc_notify_from(struct proc *sender, struct proc *dst);
void ipc_dead_partners(struct proc *dead);

/* system.c */
void kernel_call_trap(struct proc *caller);
void cause_sig(struct proc *p, int sig);

/* main.c */
extern int root_sys_proc_nr;

#endif
