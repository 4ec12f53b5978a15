/* services.h - the request protocols between system services, programs and
 * RS, PM, VM, DS, TTY and MEM. Request types are disjoint per server so a
 * stray message is recognisably wrong. Replies reuse the request message:
 * m_type = result (OK or a negative error), payload as described. */
#ifndef OS_SERVICES_H
#define OS_SERVICES_H
#include "ipc.h"

#define LABEL_MAX 16

/* Fixed endpoints of boot services (slot = endpoint, generation 0). A
 * restarted service gets a new endpoint: find it through DS. */
#define RS_PROC_EP   MAKE_EP(0, RS_PROC_NR)
#define PM_PROC_EP   MAKE_EP(0, PM_PROC_NR)
#define VM_PROC_EP   MAKE_EP(0, VM_PROC_NR)
#define DS_PROC_EP   MAKE_EP(0, DS_PROC_NR)
#define TTY_PROC_EP  MAKE_EP(0, TTY_PROC_NR)
#define MEM_PROC_EP  MAKE_EP(0, MEM_PROC_NR)

/* Text fields live in the layouts of the message union (ipc.h). */

/* ---- SEF <-> RS (see os/lib/sef) ------------------------------------ */
#define RS_BASE           0x200
#define RS_INIT_HELLO     (RS_BASE + 0)  /* svc->RS sendrec; reply = init info */
#define   INIT_PUB_ADDR     m.u[0]       /* request: buffer for RS's public table */
#define   INIT_PUB_LEN      m.u[1]       /*   (struct rprocpub[], os/include/rspub.h) */
#define   INIT_TYPE         m.i[0]       /* SEF_INIT_FRESH/LU/RESTART */
#define   INIT_FLAGS        m.i[1]       /* SEF_DBG_* debug behaviour */
#define   INIT_RESTARTS     m.i[2]
#define   INIT_OLD_EP       m.i[3]
#define   INIT_LABEL        m.l4.label   /* words 4..7 */
#define   INIT_PUB_COUNT    m.i[8]       /* reply: entries RS copied into the buffer */
#define   INIT_PUB_SUM      m.u[9]       /* reply: rspub_sum() of those entries */
#define RS_INIT_RESULT    (RS_BASE + 1)  /* svc->RS sendrec: i[0] = result */
#define   INIT_RESULT       m.i[0]
#define RS_LU_PREPARE     (RS_BASE + 2)  /* RS->svc sendnb */
#define   LU_STATE          m.i[0]
#define   LU_MAXTIME        m.i[1]
#define RS_LU_READY       (RS_BASE + 3)  /* svc->RS sendrec: i[0] = result */
#define   LU_RESULT         m.i[0]
#define RS_LU_CANCEL      (RS_BASE + 4)  /* RS->svc sendnb: update aborted */
#define RS_GCOV_DUMP      (RS_BASE + 6)  /* RS->svc sendnb: dump coverage counters */
#define RS_GCOV           (RS_BASE + 0x16) /* `gcov`: everyone dumps coverage */
#define RS_SRV_PID        (RS_BASE + 7)  /* PM->RS send, answering PM_SRV_START: */
#define   SRV_PID_EP        m.i[0]       /*   the service's endpoint */
#define   SRV_PID_PID       m.i[1]       /*   its pid, or a negative error */
#define RS_GETPUB         (RS_BASE + 5)  /* any->RS: i[0] = index; reply entry */
#define   PUB_INDEX         m.i[0]
#define   PUB_ENDPOINT      m.i[1]
#define   PUB_FLAGS         m.i[2]
#define   PUB_RESTARTS      m.i[3]
#define   PUB_PERIOD        m.i[4]
#define   PUB_POLICY        m.i[5]
#define   PUB_PID           m.i[6]
#define   PUB_VM_CALLS      m.u[7]
#define   PUB_LABEL         m.l8.label   /* words 8..11 */
/* A client with a privilege of its own says a service violates its
 * protocol while it may still answer RS's pings (os/servers/rs/complain.c);
 * RS treats it as a missed heartbeat if the kernel's record bears it out:
 *  - COMPLAIN_LOST_REPLY: the service took the client's timed request and
 *    never answered; the kernel saw the client wait at least the
 *    service's hang threshold for that reply;
 *  - COMPLAIN_REFUSED: the service answered at least COMPLAIN_REFUSALS
 *    requests in a row ENOSYS ("no such call"), all of one type that its
 *    protocol serves (X_BASE..X_LAST below), as the kernel counted them.
 * Reply: OK (acted on), or why not: EPERM (not a process RS runs), ESRCH
 * (no such service), EINVAL (no such wait or streak, or an unknown
 * reason), EAGAIN (rate limit, or the target is in a restart). */
#define RS_COMPLAIN       (RS_BASE + 8)  /* svc->RS sendrec */
#define   COMPLAIN_EP       m.i[0]       /*   the endpoint that broke its protocol */
#define   COMPLAIN_WHY      m.i[1]       /*   COMPLAIN_* */
#define     COMPLAIN_LOST_REPLY 0
#define     COMPLAIN_REFUSED    1
/* Refusals in a row that make a complaint: one is what a single wrong
 * answer (a flipped bit in a reply, a path taken once by mistake) gives,
 * and the client's retry a tick later gets the right answer; three in a
 * row, a tick apart, with nothing else answered between, is a service
 * that stays wrong. The client complains at this count, RS needs it. */
#define COMPLAIN_REFUSALS 3

/* ---- `service` requests to RS ------------------------------------------ */
#define RS_UP             (RS_BASE + 0x10)
#define RS_DOWN           (RS_BASE + 0x11)
#define RS_RESTART        (RS_BASE + 0x12)
#define RS_REFRESH        (RS_BASE + 0x13)
#define RS_UPDATE         (RS_BASE + 0x14)
#define RS_LIST           (RS_BASE + 0x15)   /* RS prints the table as events */
#define RS_SYSCTL         (RS_BASE + 0x17)   /* `service sysctl OP`: no label */
#define   SYSCTL_OP         m.i[0]
#define     RS_SYSCTL_UPD_RUN    1    /*   run the queued updates as one batch */
#define     RS_SYSCTL_UPD_STOP   2    /*   discard the queue */
#define     RS_SYSCTL_UPD_STATUS 3    /*   report the queue (an event) */
#define     RS_SYSCTL_PERIOD     4    /*   default heartbeat period := SYSCTL_ARG ticks */
#define   SYSCTL_ARG        m.i[1]
#define   SRV_LABEL         m.l0.label   /* words 0..3 */
#define   SRV_PERIOD        m.i[4]    /* ticks, 0 = default, -1 = none */
#define   SRV_LU_FLAGS      m.i[4]    /* update: RS_LU_* (an update has no period) */
#define     RS_LU_PREPARE_ONLY 0x1    /*   reach the state, replace nothing */
#define     RS_LU_QUEUE        0x2    /*   only queue it for the next batch (-q) */
#define   SRV_POLICY        m.i[5]    /* RS_POLICY_* or -1 = from table */
#define   SRV_DBG           m.i[6]    /* SEF_DBG_* for the new instance */
#define   SRV_STATE         m.i[7]    /* update: prepare state */
#define   SRV_MAXTIME       m.i[8]    /* update: ticks */
#define   SRV_OPTS_ADDR     m.u[7]    /* up: struct rs_up_opts (rsopts.h) in the */
#define   SRV_OPTS_LEN      m.u[8]    /*   caller's memory; length 0: none */
#define   SRV_ARGS          m.l0.args    /* words 9..13: 20 chars */
#define SRV_ARGS_MAX 20

#define RS_POLICY_RESET   0   /* new endpoint, clients rebind through DS */
#define RS_POLICY_RESTART 1   /* same endpoint, state handed back */

/* public flags (PUB_FLAGS) */
#define RSF_IN_USE   0x01
#define RSF_ACTIVE   0x02   /* initialized and serving */
#define RSF_BOOT     0x04
#define RSF_GIVEN_UP 0x08
#define RSF_UPDATING 0x10

/* ---- DS: label -> endpoint store, subscriptions, saved state ---------- */
#define DS_BASE           0x300
#define DS_PUBLISH        (DS_BASE + 0)  /* RS only: label, i[4] = endpoint */
#define DS_LOOKUP         (DS_BASE + 1)  /* label -> i[4] endpoint */
#define DS_SUBSCRIBE      (DS_BASE + 2)  /* notify me when label changes */
#define DS_CHECK          (DS_BASE + 3)  /* after a notify: label, i[4] ep of a changed entry */
#define DS_STORE          (DS_BASE + 4)  /* save caller's state blob */
#define DS_RETRIEVE       (DS_BASE + 5)  /* get it back */
#define DS_DELETE         (DS_BASE + 6)  /* RS only: label removed */
#define   DS_LABEL          m.l0.label   /* words 0..3 */
#define   DS_ENDPT          m.i[4]
#define   DS_ADDR           m.u[5]    /* STORE/RETRIEVE: buffer in caller */
#define   DS_LEN            m.u[6]    /* in: size; RETRIEVE out: bytes */
#define DS_STATE_MAX 4096

/* ---- PM: process tree and user processes ------------------------------ */
#define PM_BASE           0x400
#define PM_SPAWN          (PM_BASE + 0)  /* run program (label, args) as a user process */
#define PM_EXIT           (PM_BASE + 1)  /* i[0] status */
#define PM_WAIT           (PM_BASE + 2)  /* reply when child i[0] (pid, -1 any) ends */
#define PM_KILL           (PM_BASE + 3)  /* i[0] pid, i[1] signal */
#define PM_GETPID         (PM_BASE + 4)
#define PM_TREE           (PM_BASE + 5)  /* PM prints the tree as events */
#define PM_SRV_START      (PM_BASE + 6)  /* RS: service i[0] ep started (label); PM
                                            answers with RS_SRV_PID */
#define PM_SRV_EXIT       (PM_BASE + 7)  /* RS: service i[0] ep ended */
#define   PM_PID            m.i[0]
#define   PM_SIG            m.i[1]
#define   PM_STATUS         m.i[1]
#define   PM_NAME           m.l2.label   /* words 2..5 */
#define   PM_ARGS           m.l2.args    /* words 6..13: 32 chars */
#define PM_ARGS_MAX 32

/* ---- VM: memory information and per-service VM call masks ------------ */
#define VM_BASE           0x500
#define VM_INFO           (VM_BASE + 0)  /* reply: u[0] total, u[1] free bytes */
#define VM_SET_MASK       (VM_BASE + 1)  /* RS only: i[0] endpoint, u[1] mask */
#define VM_GET_MASK       (VM_BASE + 2)  /* i[0] endpoint -> u[1] */
#define VM_CALL_INFO      (1u << 0)      /* mask bits: VM calls a service may make */
#define VM_CALL_ALL       0xffffffffu

/* ---- TTY ---------------------------------------------------------------- */
#define TTY_BASE          0x600
#define TTY_WRITE         (TTY_BASE + 0) /* text in payload, i[0] = length */

/* ---- MEM: the RAM disk of program images (boot modules) ------------- */
#define MEM_BASE          0x700
#define MEM_FIND          (MEM_BASE + 0) /* label -> i[4] module index, u[5] size */
#define MEM_READ          (MEM_BASE + 1) /* i[4] index, u[5] addr, u[6] len, i[7] offset */
#define   MEM_LABEL         m.l0.label
#define   MEM_INDEX         m.i[4]
#define   MEM_ADDR          m.u[5]
#define   MEM_LEN           m.u[6]
#define   MEM_OFFSET        m.i[7]

/* ---- victim services and their workload ----------------------------- */
#define KV_BASE           0x800
#define KV_PUT            (KV_BASE + 0)  /* i[0] key, i[1] value -> i[2] held before (0/1), i[3] its value */
#define KV_GET            (KV_BASE + 1)  /* i[0] key -> i[1] value, ENOENT */
#define KV_CRASH          (KV_BASE + 2)  /* test: fault right away */
#define KV_HANG           (KV_BASE + 3)  /* test: loop forever */
#define KV_STATS          (KV_BASE + 4)  /* -> i[0] keys held, i[1] generation seen */
#define KV_DEL            (KV_BASE + 5)  /* i[0] key -> i[1] value it held; ENOENT */
#define KV_LAST           KV_DEL         /* every type KV_BASE..KV_LAST is served: never ENOSYS */
/* kv's keys are per owner: the holders of the fault-injection right (the
 * workload: wl run by the shell, the scenario driver) share one namespace
 * of KV_KEYS keys; every other caller has its own of at most KV_USER_QUOTA
 * keys (EDQUOT beyond), and reaches only those. */
#define KV_USER_QUOTA     16
#define ECHO_BASE         0x900
#define ECHO_ECHO         (ECHO_BASE + 0) /* payload echoed; i[13] = counter */
#define ECHO_CRASH        (ECHO_BASE + 1)
#define ECHO_HANG         (ECHO_BASE + 2)
#define ECHO_LAST         ECHO_HANG      /* every type ECHO_BASE..ECHO_LAST is served */
#endif
