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
        } else if (m.m_source == SYSTEM) {
            handle_kernel_signals();
        } else {
            struct rproc *rp = rp_by_ep(m.m_source);
            if (rp) ping_answered(rp);           /* heartbeat answered, maybe late */
        }
    } else {
        FI_POINT("rs.request");
        do_request(&m);
        for (int i = 0; i < NR_SERVICES; i++)     /* update requests to hand out */
            if ((rproc[i].pub.flags & RSF_IN_USE) && (rproc[i].flags & RP_LU_DELIVER))
                lu_check(&rproc[i]);
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
