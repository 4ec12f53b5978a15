/* sched_repair.c - the run queues checked against the process table and
 * rebuilt from it: a software audit, as telecom switches run on their own
 * data, of the one derived structure a fault in the scheduler's
 * bookkeeping (proc.c: set_rts, clear_rts, proc_unready, pick_proc)
 * most often leaves wrong.
 *
 * Why a repair and not a panic: the process table's RTS flags are the
 * primary state (a process is runnable iff p->rts == 0) and the run
 * queues only say it again, in an order. A queue that lost a runnable
 * process, kept a blocked one or has a bad link holds nothing the table
 * does not, so it can be rebuilt from the table without losing anything
 * but the order among equals, which only fairness depends on. Left as it
 * is, a lost runnable process never runs again (its clients hang until
 * the virtual-time limit) and a bad link sends the scheduler astray; so
 * the containment path (contain.c) repairs instead of panicking when the
 * run queues are the consistency check's only complaint, and the clock
 * tick audits them (trap.c) to catch what a fault that did not trap left
 * behind silently.
 *
 * The check (sched_queues_check) is the one definition of sound queues:
 * the consistency check after a fault (kcheck.c) uses it too. It flags
 * only what the rebuild fixes, so a rebuild always leaves it satisfied and
 * an audit never repairs the same thing twice. A runnable process with a
 * priority out of range is not queued by the rebuild: that is a broken
 * process slot, kcheck.c's "priority", and a panic after a fault.
 *
 * Cheap, since the tick runs it: one bounded walk of the queues with a
 * bitmap of the slots seen, then one pass over the user slots; no walk
 * per process. Not instrumented (Makefile: AUTO_KERNEL_SKIP): it runs in
 * the containment's recovery, where no fault site may be hit, and an
 * audit whose own code carries the fault it looks for would be no audit. */
#include "contain.h"
#include "sched_repair.h"

#define NSLOTS (NR_TASKS + NR_PROCS)

/* proc.c's; not static there so that this file can rebuild them */
extern struct proc *rdy_head[NR_SCHED_QUEUES], *rdy_tail[NR_SCHED_QUEUES];
extern struct proc *rdy_woken[NR_SCHED_QUEUES];

/* The complaints, one object each: contain.c tells a run-queue complaint
 * from any other by its address (sched_queues_complaint). */
static const char q_link[] = "run queue link";
static const char q_member[] = "run queue member not runnable";
static const char q_tail[] = "run queue tail";
static const char q_woken[] = "run queue woken mark";
static const char q_missing[] = "runnable process in no run queue";

/* A user slot (tasks are never queued: IDLE runs when no queue has
 * anyone), at a slot's exact start: a corrupted link is neither. */
static int user_slot(const struct proc *p)
{
    uint32_t off = (uint32_t)p - (uint32_t)proc_addr(0);
    return (uint32_t)p >= (uint32_t)proc_addr(0) && off < NR_PROCS * sizeof *p &&
           off % sizeof *p == 0;
}

static int queueable(const struct proc *p, int q)
{
    return p->rts == 0 && p->priority == q;
}

/* A bitmap of user slots, indexed by address (p->nr may be what a fault
 * corrupted; the address was checked by user_slot). */
#define SEEN_WORDS ((NR_PROCS + 31) / 32)
static int seen_test(const uint32_t *seen, const struct proc *p)
{
    int k = (int)(p - proc_addr(0));
    return (seen[k / 32] >> (k % 32)) & 1;
}
static void seen_set(uint32_t *seen, const struct proc *p)
{
    int k = (int)(p - proc_addr(0));
    seen[k / 32] |= 1u << (k % 32);
}

const char *sched_queues_check(void)
{
    uint32_t seen[SEEN_WORDS] = { 0 };
    int queued = 0;
    for (int q = 0; q < NR_SCHED_QUEUES; q++) {
        struct proc *last = 0;
        int woken_in = rdy_woken[q] == 0;
        for (struct proc *p = rdy_head[q]; p; p = p->next_ready) {
            /* a bad link, a process twice (which is a cycle) or more
             * members than slots: the walk stops here, not in a loop */
            if (!user_slot(p) || seen_test(seen, p) || ++queued > NR_PROCS) return q_link;
            if (!queueable(p, q)) return q_member;
            seen_set(seen, p);
            if (p == rdy_woken[q]) woken_in = 1;
            last = p;
        }
        if (rdy_tail[q] != last) return q_tail;
        /* proc_ready_front inserts after the woken mark: a mark outside
         * the queue would link the next woken process out of every queue */
        if (!woken_in) return q_woken;
    }
    for (int n = 0; n < NR_PROCS; n++) {
        struct proc *p = proc_addr(n);
        if (p->rts == 0 && p->priority >= 0 && p->priority < NR_SCHED_QUEUES &&
            !seen_test(seen, p))
            return q_missing;
    }
    return 0;
}

int sched_queues_complaint(const char *what)
{
    return what == q_link || what == q_member || what == q_tail || what == q_woken ||
           what == q_missing;
}

/* What a rebuild found wrong, for its event. */
struct repair_counts {
    int links;      /* walks cut short: a link out of the table, a repeat, too long */
    int stray;      /* members dropped: blocked, or in another priority's queue */
    int missing;    /* runnable processes that were in no queue, now queued */
    int tails;      /* tails that were not their queue's last member */
    int woken;      /* woken marks not in their queue, cleared */
};

/* Rebuild every queue from the table. Order, so that the result is a pure
 * function of the state and disturbs the schedule least: the sound
 * members of each old queue stay in their order (up to the first bad
 * link: what follows it cannot be trusted to be a queue at all); then the
 * runnable processes found in no queue, in slot order, at the back - but
 * for `current`: if it is runnable it was running, at the head of its
 * queue where pick_proc took it (a call that does not block keeps the
 * CPU), so it goes back to that head, not behind processes that were
 * waiting for it. A woken mark that is still a member stays (the woken
 * are a prefix, and the kept members keep their order); else it is
 * cleared, which costs the woken only their place ahead. */
static struct repair_counts rebuild(void)
{
    struct repair_counts c = { 0 };
    uint32_t seen[SEEN_WORDS] = { 0 };
    struct proc *order[NR_PROCS];
    int start[NR_SCHED_QUEUES + 1], n = 0;

    for (int q = 0; q < NR_SCHED_QUEUES; q++) {
        start[q] = n;
        struct proc *last = 0;
        int steps = 0, cut = 0;
        for (struct proc *p = rdy_head[q]; p; p = p->next_ready) {
            if (!user_slot(p) || ++steps > NR_PROCS) { cut = 1; break; }
            last = p;
            if (seen_test(seen, p)) {
                /* already kept (here or in an earlier queue): a repeat
                 * here is a cycle, so the rest is no queue */
                if (queueable(p, q)) { cut = 1; break; }
                c.stray++;
                continue;
            }
            if (!queueable(p, q)) { c.stray++; continue; }
            seen_set(seen, p);
            order[n++] = p;
        }
        if (cut) c.links++;
        else if (rdy_tail[q] != last) c.tails++;
    }
    start[NR_SCHED_QUEUES] = n;

    /* the runnable in no queue: each goes to the back of its own queue
     * (or, for current, the front), so the arrays are rebuilt per queue */
    struct proc *rebuilt[NR_PROCS];
    int m = 0, first[NR_SCHED_QUEUES];
    for (int q = 0; q < NR_SCHED_QUEUES; q++) {
        first[q] = m;
        struct proc *cur = current;
        if (user_slot(cur) && queueable(cur, q) && !seen_test(seen, cur)) {
            seen_set(seen, cur);
            rebuilt[m++] = cur;
            c.missing++;
        }
        for (int i = start[q]; i < start[q + 1]; i++) rebuilt[m++] = order[i];
        for (int k = 0; k < NR_PROCS; k++) {
            struct proc *p = proc_addr(k);
            if (queueable(p, q) && !seen_test(seen, p)) {
                seen_set(seen, p);
                rebuilt[m++] = p;
                c.missing++;
            }
        }
    }

    /* relink: every user slot's next_ready is rewritten, 0 for those in
     * no queue (proc_ready sets it anyway, but a stale link is noise) */
    for (int k = 0; k < NR_PROCS; k++) proc_addr(k)->next_ready = 0;
    for (int q = 0; q < NR_SCHED_QUEUES; q++) {
        int end = q + 1 < NR_SCHED_QUEUES ? first[q + 1] : m;
        struct proc *prev = 0;
        int woken_in = 0;
        for (int i = first[q]; i < end; i++) {
            if (prev) prev->next_ready = rebuilt[i];
            else rdy_head[q] = rebuilt[i];
            if (rebuilt[i] == rdy_woken[q]) woken_in = 1;
            prev = rebuilt[i];
        }
        if (!prev) rdy_head[q] = 0;
        rdy_tail[q] = prev;
        if (rdy_woken[q] && !woken_in) { rdy_woken[q] = 0; c.woken++; }
    }
    return c;
}

static void report(const char *what, const char *by, const struct repair_counts *c)
{
    kevent("ev=kernel_repaired what=%s by=%s missing=%d stray=%d links=%d tails=%d woken=%d",
           what, by, c->missing, c->stray, c->links, c->tails, c->woken);
}

void sched_repair(const char *by)
{
    struct repair_counts c = rebuild();
    report("run_queues", by, &c);
}

/* The user slots some run queue holds (a walk stops at a bad link). */
static void mark_queued(uint32_t *seen)
{
    for (int q = 0; q < NR_SCHED_QUEUES; q++) {
        int steps = 0;
        for (struct proc *p = rdy_head[q]; p && user_slot(p) && ++steps <= NR_PROCS;
             p = p->next_ready)
            seen_set(seen, p);
    }
}

/* Is p in dst's queue of blocked senders (a bounded walk)? */
static int in_caller_q(const struct proc *dst, const struct proc *p)
{
    int n = 0;
    for (const struct proc *s = dst->caller_q; s && n++ < NSLOTS; s = s->q_link)
        if (s == p) return 1;
    return 0;
}

/* Would a receiver that waits for src_e take something already waiting:
 * a sender in its queue, or (unless only a reply may come) a pending
 * notification? */
static int something_waits(const struct proc *p)
{
    int n = 0;
    for (const struct proc *s = p->caller_q; s && n++ < NSLOTS; s = s->q_link)
        if (p->getfrom_e == ANY || s->endpoint == p->getfrom_e) return 1;
    return !(p->misc & MF_REPLY_PEND) && p->priv && p->priv->notify_pending;
}

/* The blocked state a runnable process in no queue should be in, or 0 if
 * none: its IPC fields are set only by a call that blocks it (enqueue and
 * do_receive's step 3, ipc.c and ipc_fast.c, set them and then call
 * set_rts) and cleared by every way out of the block (deliver,
 * release_sender, the deadline, a dead partner, exec), so a runnable
 * process has sendto_e and getfrom_e NONE. One that has not lost its
 * block in set_rts after the fields were set (a fault that wrote the
 * flags elsewhere, or skipped the write): its call took effect but for
 * that write.
 *  - sendto_e set and p in that process's queue of senders: RTS_SENDING
 *    (enqueue links it after set_rts);
 *  - getfrom_e set, no send pending: RTS_RECEIVING (its buffer msg_uaddr
 *    was set just before), unless a sender or a notification it would
 *    take is waiting already: then whether its wakeup was lost cannot be
 *    told from here, and it is requeued as before. */
static uint32_t lost_block(const struct proc *p)
{
    if (p->sendto_e != NONE) {
        int err;
        struct proc *dst = ep_to_proc(p->sendto_e, &err);
        return dst && in_caller_q(dst, p) ? RTS_SENDING : 0;
    }
    if (p->getfrom_e != NONE && !(p->misc & MF_SENDREC) && !something_waits(p))
        return RTS_RECEIVING;
    return 0;
}

/* Before the queues are rebuilt at the audit: a runnable process in no
 * queue that lost its block goes back to it, not into a queue. Only the
 * audit's: it runs between two calls, where no call is half-done; the
 * containment of a fault (contain.c) judges its caller's state itself.
 * Not `current`: it was running (a call that does not block keeps the
 * CPU), so whatever its fields say, its call has returned. */
static void restore_blocks(void)
{
    uint32_t seen[SEEN_WORDS] = { 0 };
    mark_queued(seen);
    for (int n = 0; n < NR_PROCS; n++) {
        struct proc *p = proc_addr(n);
        if (p->rts != 0 || p == current || seen_test(seen, p)) continue;
        uint32_t f = lost_block(p);
        if (!f) continue;
        p->rts = f;
        kevent("ev=kernel_repaired what=ipc_block by=audit proc=%s ep=%d rts=0x%x sendto=%d "
               "getfrom=%d", p->name, p->endpoint, f, p->sendto_e, p->getfrom_e);
    }
}

void sched_audit(void)
{
    if (!sched_queues_check()) return;
    restore_blocks();
    if (sched_queues_check()) sched_repair("audit");
}

/* run_next's look at what pick_proc chose, before it switches to it (the
 * switch loads the chosen process's directory and registers: a wild
 * pointer there is a triple fault). pick_proc returns the head of the
 * first queue that has one, so anything else is a fault in the pick. */
int sched_pick_sound(const struct proc *p)
{
    return user_slot(p) && p->rts == 0 && p->priority >= 0 && p->priority < NR_SCHED_QUEUES &&
           rdy_head[p->priority] == p;
}

/* A bad pick: the queues are rebuilt (the pick may have read a bad
 * link), the event names what was chosen, and the caller picks again.
 * The queues then hold only runnable processes at sane addresses, so a
 * pick that stays bad is the pick itself faulting on every run: after
 * PICK_RETRIES in a row, a panic. Reset when a pick is switched to. */
#define PICK_RETRIES 2
static int bad_picks;

void sched_pick_refused(const struct proc *p)
{
    if (++bad_picks > PICK_RETRIES)
        panic("the scheduler picked a bad process %d times in a row (0x%x)", bad_picks,
              (uint32_t)p);
    struct repair_counts c = rebuild();
    kevent("ev=kernel_repaired what=sched_pick by=sched addr=0x%x missing=%d stray=%d links=%d "
           "tails=%d woken=%d", (uint32_t)p, c.missing, c.stray, c.links, c.tails, c.woken);
}

void sched_pick_taken(void) { bad_picks = 0; }
