/* kcall.h - kernel call numbers and their message fields. A kernel call is
 * the IPC_VECTOR's sibling trap: the caller passes a message whose m_type is
 * the call number; the SYSTEM task answers in the same message. */
#ifndef OS_KCALL_H
#define OS_KCALL_H

#include "ipc.h"

#define SYS_PRIVCTL   0
#define SYS_EXIT      1   /* end a process (self or another) */
#define SYS_KILL      2   /* post a signal to a process */
#define SYS_GETKSIG   3   /* signal manager: fetch a process with signals */
#define SYS_VIRCOPY   4   /* copy between address spaces */
#define SYS_SETALARM  5
#define SYS_TIMES     6
#define SYS_GETINFO   7
#define SYS_DIAGCTL   8   /* console output, plain or as an event line */
#define SYS_ABORT     9   /* shut the machine down with a status */
#define SYS_FORK      10  /* copy a process into a new slot */
#define SYS_EXEC      11  /* load an ELF image into a process */
#define SYS_GROW      12  /* map zeroed pages at the end of the caller's heap */
#define SYS_STOP      13  /* stop / resume a process (RTS_PROC_STOP) */
#define SYS_SERIAL    14  /* console input: register for it, read it */
#define SYS_FI_CTL    15  /* arm / disarm faults in the control table */
#define SYS_FI_FIRE   16  /* a hook reports that its fault fires now */
#define SYS_GCOV      17  /* dump the kernel's coverage counters */
#define SYS_UPDATE    18  /* live update: swap two processes (RS only) */
#define SYS_RENEW     19  /* the root system process replaced by a new version of itself */
#define NR_SYS_CALLS  20
#define SYS_ALL_CALLS ((uint64_t)((1ull << NR_SYS_CALLS) - 1))
#define KC_BIT(c)     (1ull << (c))

/* SYS_PRIVCTL */
#define PRIV_ENDPT   m.i[0]
#define PRIV_REQ     m.i[1]
#define PRIV_ADDR    m.u[2]   /* struct priv_spec in caller, or 0 */
#define   PRIV_ALLOW     1
#define   PRIV_DISALLOW  2
#define   PRIV_SET_SYS   3
#define   PRIV_SET_USER  4        /* the shared user privilege (INIT's) */
#define   PRIV_SET_FI_USER 5      /* the shared one of fault-injection tools */

/* SYS_EXIT / SYS_KILL / SYS_STOP */
#define PR_ENDPT     m.i[0]   /* SELF allowed */
#define PR_SIG       m.i[1]
#define PR_STOP      m.i[1]   /* SYS_STOP: 1 stop, 0 resume */

/* SYS_GETKSIG reply */
#define KSIG_ENDPT   m.i[0]   /* NONE if no process has pending signals */
#define KSIG_MAP     m.u[1]
#define KSIG_ADDR    m.u[2]   /* fault address, for SIGSEGV */
#define KSIG_PC      m.u[3]

/* SYS_VIRCOPY */
#define CP_SRC_EP    m.i[0]
#define CP_SRC_ADDR  m.u[1]
#define CP_DST_EP    m.i[2]
#define CP_DST_ADDR  m.u[3]
#define CP_LEN       m.u[4]
#define VIRCOPY_MAX  (1u << 20)

/* SYS_SETALARM: relative ticks; 0 cancels. Reply: ticks left on old one. */
#define ALRM_TICKS   m.u[0]
#define ALRM_LEFT    m.u[1]

/* SYS_TIMES reply */
#define T_UPTIME     m.u[0]   /* ticks since boot */
#define T_HZ         m.u[1]
#define T_USEC       m.u[2]   /* virtual microseconds since boot (low) */
#define T_TSC_LO     m.u[3]
#define T_TSC_HI     m.u[4]
#define T_USER       m.u[5]   /* caller's ticks */

/* SYS_GETINFO */
#define I_REQ        m.i[0]
#define I_ADDR       m.u[1]
#define I_LEN        m.u[2]
#define I_ARG        m.i[3]
#define I_COUNT      m.i[4]   /* reply: entries or bytes copied */
#define   GET_WHOAMI    1   /* struct whoami */
#define   GET_IMAGE     2   /* struct boot_image_entry[] */
#define   GET_PROCTAB   3   /* struct proc_info[] */
#define   GET_PRIV      4   /* struct priv_spec of I_ARG endpoint */
#define   GET_BOOTMOD   5   /* bytes of boot module I_ARG (index) */
#define   GET_KINFO     6   /* struct kinfo */
#define   GET_MODULES   7   /* struct boot_image_entry[] of every module,
                               proc_nr NONE for program files (noexec) */

/* SYS_DIAGCTL */
#define DIAG_ADDR    m.u[0]
#define DIAG_LEN     m.u[1]
#define DIAG_EVENT   m.i[2]   /* 1: the kernel frames it as "#EV t=.. who=.." line;
                                 EINVAL if the text sets t= or who= or does
                                 not parse (os/kernel/evcheck.c) */
#define DIAG_FOR     m.i[3]   /* plain output a service prints for another
                                 process (TTY_WRITE): that endpoint, whose
                                 output budget it is charged to; 0 = none */
#define DIAG_MAX     512

/* SYS_ABORT */
#define ABRT_HOW     m.i[0]
#define   ABORT_HALT      0
#define   ABORT_PANIC     1
#define   ABORT_TEST_FAIL 2

/* SYS_FORK: parent endpoint; reply child endpoint */
#define FORK_PARENT  m.i[0]
#define FORK_CHILD   m.i[1]
#define FORK_SLOT    m.i[2]   /* wanted slot, or -1 for any free one */
#define FORK_FLAGS   m.i[3]
#define   FORK_BLANK   0x1    /* empty address space: an exec follows */

/* SYS_SERIAL */
#define SER_OP       m.i[0]
#define   SER_REGISTER  1     /* notify me (from HARDWARE) when input comes */
#define   SER_READ      2     /* copy buffered input: reply SER_LEN bytes */
#define SER_ADDR     m.u[1]
#define SER_LEN      m.u[2]

/* SYS_GROW: GROW_BYTES more (page-rounded) at the heap's end; reply
 * GROW_ADDR, where they start (HEAP_BASE in layout.h) */
#define GROW_BYTES   m.u[0]
#define GROW_ADDR    m.u[1]
/* Bytes one SYS_GROW may add: it zeroes them with interrupts off, so the
 * call's length has a bound of its own, not only the heap's 512 MiB (RS
 * grows by one executable's copy at a time, EXEC_MAX_IMG at most). */
#define GROW_MAX     (16u << 20)

/* SYS_FI_CTL: FI_OP in, slot spec (struct fi_slot) at FI_ADDR */
#define FI_OP        m.i[0]
#define   FI_OP_ARM     1     /* reply FI_SLOT = slot used */
#define   FI_OP_DISARM  2     /* FI_SLOT, or -1 for all */
#define   FI_OP_STEP    3     /* FI_SLOT = scenario step now reached */
#define   FI_OP_PLAN    4     /* the host's plan, FI_PLAN_MAX bytes to FI_ADDR (kernel/plan.c) */
#define FI_LEN       m.u[3]
#define FI_ADDR      m.u[1]
#define FI_SLOT      m.i[2]
/* SYS_FI_FIRE: FI_SLOT that matched; OK means fire, EAGAIN means not */
#define FI_SITE_ADDR m.u[3]   /* the site descriptor in the caller */

/* SYS_EXEC: load ELF image at caller's IMG_ADDR into EXEC_ENDPT */
#define EXEC_ENDPT   m.i[0]
#define EXEC_IMG     m.u[1]
#define EXEC_LEN     m.u[2]
#define EXEC_ARGS    m.u[3]   /* command line string, space separated */
#define EXEC_ARGLEN  m.u[4]
#define EXEC_MAX_IMG (4u << 20)
/* Memory the image's segments may take: the caller's bound (PM's for user
 * programs), 0 for the kernel's, which also caps any caller's. Loading is
 * one kernel call with interrupts off; this bounds its length. */
#define EXEC_MEM     m.u[5]
#define EXEC_MAX_MEM (16u << 20)

/* SYS_UPDATE (the root system process only): UPD_OP on UPD_SRC_EP and
 * UPD_DST_EP, two live non-task processes other than the caller.
 *   UPD_SWAP: the two exchange what they run (image, registers, IPC state,
 *     name) while each slot keeps its identity (endpoint, privilege,
 *     queue of senders): a new version takes over an old one's endpoint.
 *   UPD_COPY_KEEP: the keep region's pages SRC has are copied into those
 *     DST has (DST must not have run yet): a new version starts with
 *     what the old one kept, and the old one's stays as it was.
 * Reply UPD_PAGES: pages copied (COPY_KEEP). */
#define UPD_SRC_EP   m.i[0]
#define UPD_DST_EP   m.i[1]
#define UPD_OP       m.i[2]
#define   UPD_SWAP       1
#define   UPD_COPY_KEEP  2
#define UPD_PAGES    m.i[3]

#endif
