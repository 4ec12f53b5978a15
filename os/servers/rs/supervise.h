/* supervise.h - how RS supervises a service beyond restarting it: the
 * restart intensity and escalation chain (intensity.c), dependencies
 * between services (deps.c), the two heartbeat thresholds (ping.c), and
 * where each service's settings come from (supconf.c: the sys table, then
 * what `service up` asked for). */
#ifndef RS_SUPERVISE_H
#define RS_SUPERVISE_H
#include "table.h"
#include "../../include/rsopts.h"

#define RS_HZ              100  /* clock ticks per second (the kernel's HZ) */
#define DEF_MAX_RESTARTS   6    /* intensity when the table says 0: 6 restarts ... */
#define DEF_WINDOW         10   /* ... in 10 s */
#define DEF_CHAIN          "restart,reset,giveup"
#define DEF_CHAIN_CORE     "restart,giveup"
#define DEF_PING_LATE      1    /* periods */
#define DEF_PING_HANG      2
#define INTENSITY_MAX      16   /* restarts a window can remember */
#define WINDOW_MAX         3600 /* seconds */
#define PING_MAX           50   /* periods */
#define CHAIN_MAX          6    /* stages */

/* What RS does when a service fails, stage by stage. */
enum { STAGE_RESTART,          /* its policy: reset or restart, state handed back */
       STAGE_RESET,            /* a pristine instance: new process from RS's copy,
                                  new endpoint, fresh init (no state) */
       STAGE_DEPENDENTS,       /* pristine, and every dependent restarted once it is back */
       STAGE_GIVEUP,           /* down for good; a core service panics the system */
       NR_STAGES };

struct rs_sup {
    int      max_restarts, window;       /* intensity: R restarts in W seconds */
    uint8_t  chain[CHAIN_MAX];           /* STAGE_* in order */
    int      nchain, stage;              /* stage: index into chain */
    uint32_t hist[INTENSITY_MAX];        /* when this stage's restarts were decided */
    int      nhist;
    int      pristine;                   /* the restart due is a pristine one */
    int      dependents;                 /* once back, restart every dependent */
    char     deps[RS_DEPS_TEXT];         /* labels it depends on, comma-separated */
    int      dep_policy;                 /* RS_DEP_* */
    int      dep_origin;                 /* restarted for a dependency: whose restart
                                            started the chain (rproc index), else -1 */
    int      ping_late, ping_hang;       /* heartbeat thresholds, periods */
};

struct rproc;

/* supconf.c */
void sup_from_table(struct rs_sup *s, const struct rs_priv_entry *e);
int  sup_apply_opts(struct rs_sup *s, const struct rs_up_opts *o, const char *self);
int  sup_describe(const struct rproc *rp, char *buf, int len);
const char *stage_name(int stage);

/* intensity.c: a failure was seen; which stage acts on it (STAGE_*), and
 * after how many ticks (backoff within the stage) */
int  sup_on_failure(struct rproc *rp, const char *cause, uint32_t *delay);
int  sup_strikes(const struct rproc *rp);
void sup_calm(struct rproc *rp);         /* each period: a quiet window ends escalation */

/* deps.c: rp is back after a restart (init done) */
void deps_after_restart(struct rproc *rp);

/* ping.c */
void ping_answered(struct rproc *rp);
int  ping_overdue(struct rproc *rp);     /* 1: the answer is past the hang threshold */
#endif
