/* main.c - the Reincarnation Server, root system process. It brings up the
 * boot services, then loops: periodic work on its alarm, crash reports from
 * the kernel (RS is every service's signal manager), heartbeat replies
 * (notifications), and requests. RS never blocks on a service. */
#include "rs.h"
#include "outbox.h"

/* The kernel stopped processes we manage: a crash, or a call to exit. */
void handle_kernel_signals(void)
{
    for (;;) {
        int ep; uint32_t map, addr, pc;
        if (sys_getksig(&ep, &map, &addr, &pc) != OK || ep == NONE) return;
        event("ev=ksig ep=%d sigmap=0x%x addr=0x%x pc=0x%x", ep, map, addr, pc);
        struct rproc *rp = rp_by_ep(ep);
        if (rp) service_died(rp, map);
        else {
            int r = sys_exit_proc(ep);
            pm_forget(ep);                 /* in case PM was told of it */
            event("ev=reaped ep=%d result=%d", ep, r);
        }
    }
}

/* Requests from user processes (not services) RS handles per round of
 * supervision; the rest wait, their senders blocked in sendrec, until the
 * next round. A user program that asks in a loop (RS_LIST prints the
 * whole table each time) is thus held to a few requests per round: it
 * cannot fill RS's time, nor the console, and it is one caller with one
 * request waiting, since a sendrec blocks it. Services are not held. */
#define USER_PER_ROUND 2
#define DEFER_MAX      8       /* user requests waiting for the next round */
static int user_budget = USER_PER_ROUND;
static message deferred[DEFER_MAX];
static int n_deferred;

static void handle_request(message *m)
{
    FI_POINT("rs.request");
    do_request(m);
    for (int i = 0; i < NR_SERVICES; i++)     /* update requests to hand out */
        if ((rproc[i].pub.flags & RSF_IN_USE) && (rproc[i].flags & RP_LU_DELIVER))
            lu_check(&rproc[i]);
}

/* A new round: the waiting user requests first, oldest first, within the
 * round's budget. */
static void new_round(void)
{
    user_budget = USER_PER_ROUND;
    int i = 0;
    for (; i < n_deferred && user_budget > 0; i++, user_budget--) handle_request(&deferred[i]);
    memmove(deferred, deferred + i, (size_t)(n_deferred - i) * sizeof deferred[0]);
    n_deferred -= i;
}

static void user_request(message *m)
{
    if (user_budget > 0 && n_deferred == 0) { user_budget--; handle_request(m); return; }
    if (n_deferred < DEFER_MAX) { deferred[n_deferred++] = *m; return; }
    message r = { .m_type = EAGAIN };           /* too many users at once: ask again */
    ipc_sendnb(m->m_source, &r);
}

void rs_loop_once(void)
{
    message m;
    outbox_flush();
    /* a server did not take what RS owes it: look again next tick */
    if (outbox_pending()) sys_setalarm(1, 0);
    if (ipc_receive(ANY, &m) != OK) return;
    now = sys_uptime();
    if (is_notify(&m)) {
        if (m.m_source == CLOCK) {
            /* injected: this round of supervision is skipped and no next one
             * is asked for; RS goes on answering requests (stale) */
            if (FI_ERROR("rs.period")) return;
            do_period();
            sys_setalarm(RS_TICK, 0);
            new_round();
        } else if (m.m_source == SYSTEM) {
            handle_kernel_signals();
        } else {
            struct rproc *rp = rp_by_ep(m.m_source);
            if (rp) ping_answered(rp);           /* heartbeat answered, maybe late */
        }
    } else if (!rp_by_ep(m.m_source)) {
        user_request(&m);
    } else {
        handle_request(&m);
    }
    outbox_flush();
}

int main(int argc, char **argv)
{
    now = sys_uptime();
    rs_tables_init();
    if (argc > 1 && !strcmp(argv[argc - 1], "recover")) rs_recover();   /* guardian.c */
    else boot_services();
    for (;;) rs_loop_once();
}
