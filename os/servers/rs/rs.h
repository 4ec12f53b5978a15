/* rs.h - the Reincarnation Server's process table and its parts. Each
 * service has a public part (struct rprocpub, os/include/rspub.h: label,
 * endpoint, flags, restarts, policy, pid, VM call mask) that every starting
 * service gets as init data and anyone may read with RS_GETPUB, and a
 * private part (timers, executable copy, pending work) only RS uses. */
#ifndef RS_H
#define RS_H
#include "table.h"
#include "supervise.h"
#include "../../lib/libc/libc.h"
#include "../../lib/common/format.h"
#include "../../lib/sef/sef.h"
#include "../../include/fi.h"
#include "../../include/rspub.h"

#define RS_TICK        5       /* RS wakes every 5 clock ticks (50 ms) */
#define DEF_PERIOD     20      /* heartbeat period (ticks), unless RS's boot args say period=N */
extern int def_period;
#define INIT_TIMEOUT   200     /* ticks a new instance has to finish init */
#define LU_DEFAULT_MAXTIME (2 * RS_HZ)  /* an update's prepare, when no limit is asked (MINIX's 2 s) */
#define BACKOFF_BASE   10      /* first delayed restart in a stage, doubling */
#define BACKOFF_MAX    320
/* how many restarts before escalating, and to what: supervise.h */

/* private state */
#define RP_INITIALIZING 0x01   /* waiting for the init result */
#define RP_PINGED       0x02   /* ping sent, no answer yet */
#define RP_EXITING      0x04   /* being brought down on purpose */
#define RP_RESTART_DUE  0x08   /* restart scheduled at restart_at */
#define RP_LU_PREPARE   0x10   /* update asked, waiting for ready */
#define RP_LU_DELIVER   0x20   /* prepare request not yet delivered */
#define RP_DYNAMIC      0x40   /* started with service up */
#define RP_STOPPED      0x80   /* kernel stopped it (fault) */
#define RP_LU_INIT      0x100  /* the new version of an update is in its init */
#define RP_LU_NOLIMIT   0x200  /* the prepare has no deadline (-maxtime 0) */
#define RP_LU_PREPONLY  0x400  /* only prepare: once ready, let it go on (-o) */
#define RP_LU_BATCH     0x800  /* a member of the running update batch (batch.c) */
#define RP_LU_WAITING   0x1000 /* batch: prepared, suspended in its RS_LU_READY call */

struct rproc {
    struct rprocpub pub;
    const struct rs_priv_entry *tab;
    uint32_t flags;
    int      proc_nr;            /* kernel slot, kept across resets */
    int      img;                /* index into the image store */
    int      next_img;           /* update: the new version */
    char     args[SRV_ARGS_MAX + 8];
    int      init_type, dbg_flags, old_ep;
    uint32_t init_deadline, ping_sent, next_ping, restart_at, up_since;
    uint32_t lu_deadline;
    int      lu_state;
    int      lu_ep;              /* update: the spare slot the old version waits in, or NONE */
    struct rs_sup sup;           /* intensity, escalation, dependencies, heartbeat */
    int      pid_ep;             /* the instance PM knows (and tells the pid of), or NONE */
    int      caller;             /* who waits for a reply (service up/update/restart/refresh) */
    int      caller_req;
    /* excuse.c: its CPU when a ping was first seen unanswered */
    uint32_t cpu_disp, cpu_ticks;
    int      cpu_seen;
    int      not_run_excused;    /* the last excuse was "not run": not twice in a row */
    uint32_t complained_at;      /* complain.c: its last complaint RS acted on */
    int      complained;
    int      period_dflt;        /* its period is the default one (follows RS_SYSCTL_PERIOD) */
};

extern struct rproc rproc[NR_SERVICES];
extern uint32_t now;             /* ticks, refreshed each loop */

/* image.c: copies of executables, so restarts need no file system */
int  image_load(const char *name);          /* index or error */
int  image_get(int idx, const uint8_t **data, uint32_t *len);
void image_forget_copies(void);
/* recover.c: RS restarted by the kernel's guardian takes up its kept table */
#define RS_KEPT_MAGIC 0x52534b31u      /* "RSK1" */
extern uint32_t rs_kept_magic;
void rs_recover(void);
void handle_kernel_signals(void);
/* resources.c: enough free memory for an instance of image img? (says
 * why not in an event) */
int  resources_ok(struct rproc *rp, int img, const char *why);
/* provides.c */
int  image_provides(int img, const char *label);

/* lifecycle.c */
struct rproc *rp_by_ep(int ep);
int  waiting_on_rs(int ep);
struct rproc *rp_by_label(const char *label);
struct rproc *rp_alloc(const struct rs_priv_entry *e);
int  rp_spec(struct rproc *rp, priv_spec_t *s, int static_id);
int  start_instance(struct rproc *rp, int type);
void service_died(struct rproc *rp, uint32_t sigmap);
void service_hung(struct rproc *rp);
void service_unresponsive(struct rproc *rp, const char *cause);  /* stop it, restart per policy */
void bring_down(struct rproc *rp, const char *why, int result);
void end_instance(struct rproc *rp);      /* its process and PM's entry */
void pm_forget(int ep);                   /* PM_SRV_EXIT: ep left the tree */
/* why: the failure's cause for the events ("init-timeout", "crashed-in-init",
 * ...); 0 when the service reported result itself */
void init_done(struct rproc *rp, int result, const char *why);
void do_restart(struct rproc *rp);
void restart_now(struct rproc *rp);       /* asked for, not a failure: no strike */
void publish(struct rproc *rp);
void reply_caller(struct rproc *rp, int result);
void rs_panic(const char *why, const char *who) __attribute__((noreturn));

/* pids.c: PM's pid of every instance, in the public table */
void pm_started(struct rproc *rp, int ep);
void pm_ended(struct rproc *rp);
void pm_expect(struct rproc *rp);
void pid_answer(message *m);

/* pubtab.c: the init data */
int  pub_copy_out(int ep, uint32_t addr, uint32_t len, uint32_t *sum);

/* boot.c */
void boot_services(void);
void boot_read_args(void);
extern int booting;
void rs_loop_once(void);

/* period.c */
void do_period(void);
int  set_default_period(int ticks);         /* RS_SYSCTL_PERIOD */
extern int period_set;                      /* kept: the last one set, 0 = the boot's */
int rs_refusal_shown(void);    /* 0: a refusal to count, not print (evlimit.h) */
void rs_refusals_flush(void);   /* the summary of a flood of refusals, once a second */

/* request.c */
void do_request(message *m);

/* excuse.c: a ping unanswered at the hang threshold that is not the
 * service's silence (it waits on another service, or has not run) */
struct proc_info;
const struct proc_info *excuse_proc(int ep, int fresh);   /* the kernel's entry, or 0 */
void excuse_baseline(struct rproc *rp);
int  ping_excused(struct rproc *rp);     /* 1: excused, pinged afresh */

/* complain.c: RS_COMPLAIN, a client's timed request not answered */
int  do_complain(struct rproc *caller, message *m);

/* selfupdate.c: `service update rs` */
int  self_update_request(struct rproc *rp, message *m);
int  self_update_begin(struct rproc *self);   /* 1: a new version is starting */
void self_update_end(struct rproc *self);
void self_update_period(struct rproc *self);  /* a prepare for a state never reached */

/* update.c */
int  start_update(struct rproc *rp, int state, int maxtime, int img, int lu_flags);
void lu_ready(struct rproc *rp, message *m);
void lu_check(struct rproc *rp);
void lu_ask(struct rproc *rp, int state, int maxtime, int img, int lu_flags);
void lu_abort(struct rproc *rp, const char *why, int result, int tell);
void lu_resume_old(int ep);               /* its RS_LU_READY call returns */
int  lu_swap_in(struct rproc *rp);        /* new version in, not yet running */
void lu_swap_back(struct rproc *rp);
/* the service died or hung (cause "crash", "exit", "hang") while
 * preparing; 1 if its old version serves again (no restart) */
int  lu_failed_while_preparing(struct rproc *rp, const char *cause);
void lu_cancel(struct rproc *rp, const char *why, int result);   /* stopped on request */
int  lu_pending(const struct rproc *rp);  /* asked, preparing, or the new version in init */
int  lu_pending_any(void);                /* one update at a time */
void lu_commit(struct rproc *rp);         /* the new version's init succeeded */
int  lu_rollback(struct rproc *rp, int result, const char *why);   /* 1: the old one serves */

/* batch.c: `service update L -q` and `service sysctl upd_*` */
int  lu_queue(struct rproc *rp, int state, int maxtime, int img, int dbg);
int  lu_batch_run(int caller);            /* EDONTREPLY: answered when done */
int  lu_batch_stop(void);
void lu_batch_status(void);
int  lu_batch_caller(void);               /* who waits for the batch, or NONE */
int  lu_batch_busy(void);                 /* a batch queued or running */
void lu_batch_ready(struct rproc *rp, int result);
void lu_batch_abort(struct rproc *failed, const char *why, int result, int tell);
void lu_batch_init_ok(struct rproc *rp);
int  lu_batch_fail(struct rproc *failed, int result, const char *why);
#endif
