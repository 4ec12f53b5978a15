/* batch.c - multi-service live update as one transaction (MINIX's
 * `service -q update` and `service sysctl upd_run`). `update L -q` only
 * queues an entry, checked as a single update is. upd_run then:
 *   1. prepare: asks each service in turn for its state, clients before
 *      the servers they call (the reverse of the init order below), so a
 *      service suspended in its RS_LU_READY call is never one that a
 *      service still preparing waits on; each must be ready within its
 *      own maxtime, and a prepared one stays suspended in that call;
 *   2. swap: every new version is started in a spare slot and swapped in
 *      (not yet allowed to run);
 *   3. init: the new versions run their LU init one at a time, DS first,
 *      then VM and PM, then the rest in queue order: a client's init may
 *      call DS (its state) or PM/VM, and so finds the new version of that
 *      server already serving. One at a time also means a failure finds
 *      no other init half done;
 *   4. all inits OK: every old version ends (update_done each). Any
 *      failure before the swap aborts all (the prepared ones resume,
 *      nothing replaced); any failure after it rolls back all, those
 *      already initialised too: each swapped back, the new versions end,
 *      the old ones resume with their endpoint, pid and state, no restart
 *      counted. The caller of upd_run hears OK or the first failure. */
#include "rs.h"

#define LU_QUEUE_MAX 8

static struct lu_entry {
    char label[LABEL_MAX];
    int state, maxtime, img, dbg;
} queue[LU_QUEUE_MAX];
static int queued;

static struct {
    int running, caller;
    struct rproc *rp[LU_QUEUE_MAX];   /* in init order */
    struct lu_entry *e[LU_QUEUE_MAX];
    int n, asked, inited;             /* prepare goes n-1 .. 0, init 0 .. n-1 */
} b;

/* "a,b,c": the labels of n services, for one event field */
static const char *label_list(char *buf, size_t len, const char *const *labels, int n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < n && at + 1 < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? "," : "", labels[i]);
    return n ? buf : "-";
}

int lu_batch_caller(void) { return b.running ? b.caller : NONE; }

/* A batch queued or running: neither is in RS's keep region, so RS must
 * not replace itself meanwhile (selfupdate.c). */
int lu_batch_busy(void) { return b.running || queued; }

int lu_queue(struct rproc *rp, int state, int maxtime, int img, int dbg)
{
    if (b.running) return EBUSY;
    for (int i = 0; i < queued; i++) if (!strcmp(queue[i].label, rp->pub.label)) return EBUSY;
    if (queued == LU_QUEUE_MAX) return ENOSPC;
    if (rp->tab->sys_flags & SF_NOSEF) return ENOSYS;
    struct lu_entry *e = &queue[queued++];
    strlcpy(e->label, rp->pub.label, LABEL_MAX);
    e->state = state;
    e->maxtime = maxtime;
    e->img = img;
    e->dbg = dbg;
    event("ev=update_queued label=%s state=%d maxtime=%d n=%d", e->label, state, maxtime, queued);
    return OK;
}

/* the servers others call in their init: they initialise first */
static int rank(const char *label)
{
    static const char *first[] = { "ds", "vm", "pm" };
    for (int i = 0; i < 3; i++) if (!strcmp(label, first[i])) return i;
    return 3;
}

static void finish(int result, const char *failed)
{
    for (int i = 0; i < b.n; i++) b.rp[i]->flags &= ~(RP_LU_BATCH | RP_LU_WAITING);
    event("ev=update_batch_done n=%d result=%d failed=%s", b.n, result, failed ? failed : "-");
    b.running = 0;
    queued = 0;
    message m = { .m_type = result };
    ipc_sendnb(b.caller, &m);
}

static void ask_next(void)
{
    struct rproc *rp = b.rp[--b.asked];
    struct lu_entry *e = b.e[b.asked];
    lu_ask(rp, e->state, e->maxtime, e->img, 0);
    rp->dbg_flags = e->dbg;
}

int lu_batch_run(int caller)
{
    if (b.running || lu_pending_any()) return EBUSY;
    if (queued == 0) return ENOENT;
    /* every entry still there and free, or nothing starts */
    for (int i = 0; i < queued; i++) {
        struct rproc *rp = rp_by_label(queue[i].label);
        if (!rp) return ESRCH;
        if (!(rp->pub.flags & RSF_ACTIVE) || (rp->flags & RP_INITIALIZING) || rp->caller != NONE)
            return EBUSY;
        /* the caller waits for the batch in a sendrec to RS, so it could
         * never prepare: a batch with its own caller in it cannot run
         * (the shell runs in tty: `upd_run` typed there, tty queued) */
        if (rp->pub.endpoint == caller) {
            event("ev=update_refused label=%s binary=- reason=caller-in-batch", rp->pub.label);
            return ELOCKED;
        }
    }
    b.n = 0;
    for (int r = 0; r <= 3; r++)
        for (int i = 0; i < queued; i++)
            if (rank(queue[i].label) == r) {
                b.e[b.n] = &queue[i];
                b.rp[b.n++] = rp_by_label(queue[i].label);
            }
    char order[LU_QUEUE_MAX * LABEL_MAX];
    const char *names[LU_QUEUE_MAX];
    for (int i = 0; i < b.n; i++) names[i] = b.rp[i]->pub.label;
    event("ev=update_batch_started n=%d order=%s", b.n, label_list(order, sizeof order, names, b.n));
    b.running = 1;
    b.caller = caller;
    b.asked = b.n;
    b.inited = 0;
    for (int i = 0; i < b.n; i++) b.rp[i]->flags |= RP_LU_BATCH;
    ask_next();
    return EDONTREPLY;
}

int lu_batch_stop(void)
{
    if (b.running) return EBUSY;         /* a transaction is not cut short */
    event("ev=update_batch_discarded n=%d", queued);
    queued = 0;
    return OK;
}

void lu_batch_status(void)
{
    char labels[LU_QUEUE_MAX * LABEL_MAX];
    const char *names[LU_QUEUE_MAX];
    for (int i = 0; i < queued; i++) names[i] = queue[i].label;
    event("ev=update_batch_status n=%d running=%d labels=%s", queued, b.running,
          label_list(labels, sizeof labels, names, queued));
}

/* Before any swap: rp failed to prepare (why, result). Every other
 * member that was prepared goes on from its RS_LU_READY call; one still
 * preparing gets a cancel; none was replaced. */
void lu_batch_abort(struct rproc *failed, const char *why, int result, int tell)
{
    for (int i = 0; i < b.n; i++) {
        struct rproc *rp = b.rp[i];
        if (rp == failed) {
            lu_abort(rp, why, result, tell);
        } else if (rp->flags & RP_LU_WAITING) {
            rp->flags &= ~RP_LU_WAITING;
            rp->flags |= RP_LU_PREPARE;
            lu_resume_old(rp->pub.endpoint);
            rp->pub.flags |= RSF_ACTIVE;
            rp->next_ping = now + (uint32_t)rp->pub.period;
            lu_abort(rp, "batch-aborted", result, 0);
        } else if (rp->flags & (RP_LU_PREPARE | RP_LU_DELIVER)) {
            lu_abort(rp, "batch-aborted", result, !(rp->flags & RP_LU_DELIVER));
        } else {
            event("ev=update_aborted label=%s why=batch-aborted result=%d", rp->pub.label, result);
        }
    }
    finish(result, failed->pub.label);
}

static void swap_all(void);

/* rp answered RS_LU_READY (result) while the batch prepares */
void lu_batch_ready(struct rproc *rp, int result)
{
    if (result != OK) {
        lu_resume_old(rp->pub.endpoint);
        lu_batch_abort(rp, "prepare-refused", result, 1);
        return;
    }
    event("ev=update_prepared label=%s state=%d", rp->pub.label, rp->lu_state);
    /* it waits, suspended, in that call: not pinged meanwhile */
    rp->flags &= ~(RP_LU_PREPARE | RP_LU_DELIVER);
    rp->flags |= RP_LU_WAITING;
    rp->pub.flags &= ~RSF_ACTIVE;
    if (b.asked > 0) ask_next();
    else swap_all();
}

static void init_next(void)
{
    if (b.inited == b.n) {
        for (int i = 0; i < b.n; i++) {
            b.rp[i]->pub.flags &= ~RSF_UPDATING;
            lu_commit(b.rp[i]);
        }
        finish(OK, 0);
        return;
    }
    struct rproc *rp = b.rp[b.inited];
    rp->flags |= RP_INITIALIZING;
    rp->init_deadline = now + INIT_TIMEOUT;
    int r = sys_privctl(rp->pub.endpoint, PRIV_ALLOW, 0);
    if (r != OK) init_done(rp, r, "init-failed");
}

static void swap_all(void)
{
    int i, r = OK;
    for (i = 0; i < b.n && r == OK; i++) {
        r = lu_swap_in(b.rp[i]);
        if (r == OK) b.rp[i]->flags &= ~RP_LU_WAITING;
    }
    if (r != OK) {
        /* i-1 could not start: swap back those before it, and abort */
        struct rproc *bad = b.rp[i - 1];
        for (int k = 0; k < i - 1; k++) lu_swap_back(b.rp[k]);
        for (int k = 0; k < i - 1; k++) b.rp[k]->flags |= RP_LU_WAITING;
        bad->flags |= RP_LU_PREPARE;
        lu_resume_old(bad->pub.endpoint);
        bad->pub.flags |= RSF_ACTIVE;
        lu_batch_abort(bad, "exec-failed", r, 0);
        return;
    }
    init_next();
}

/* init_done: the new version of a member finished its init well */
void lu_batch_init_ok(struct rproc *rp)
{
    (void)rp;
    b.inited++;
    init_next();
}

/* A member failed after the swap (its init failed, crashed, timed out;
 * or, initialised, it died before the commit): every member goes back.
 * 1 if rp's old version serves again. */
int lu_batch_fail(struct rproc *failed, int result, const char *why)
{
    int back = 0;
    /* nothing new runs on while the others are put back: a new client
     * must not talk to an old server, nor the reverse */
    for (int i = 0; i < b.n; i++) sys_stop(b.rp[i]->pub.endpoint, 1);
    for (int i = b.n - 1; i >= 0; i--) {
        struct rproc *rp = b.rp[i];
        rp->flags &= ~(RP_INITIALIZING | RP_LU_INIT);
        int ok = lu_rollback(rp, result, rp == failed ? why : "batch-rolled-back");
        if (rp == failed) back = ok;
    }
    finish(result, failed->pub.label);
    return back;
}
