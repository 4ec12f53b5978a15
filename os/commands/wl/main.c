/* main.c - wl, the workload command: `wl <kv|echo> <count> [crash@N|hang@N]`.
 * It drives a victim service through the shared client (client.c), which
 * checks every answer; at item N it can make the victim crash or hang on
 * request, then verifies that everything acknowledged before is still
 * there. The result is one event line, "ev=wl_done ...". */
#include "../../lib/libsys/syslib.h"
#include "../../include/services.h"
#include "../../lib/libc/libc.h"
#include "client.h"

#define MAX_TRIES 2000

/* The victim does not answer a fault request, so it goes with a plain
 * send: it returns once the victim has taken the message. A client
 * allowed only SENDREC falls back to it: the victim's death (crash, or RS
 * killing it for hanging) then ends the call with EDEADSRCDST. */
static void inject(int crash, int at)
{
    message m = { .m_type = wl_target == T_KV ? (crash ? KV_CRASH : KV_HANG)
                                              : (crash ? ECHO_CRASH : ECHO_HANG) };
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        if (tries) { client_pause(); client_rebind(); }
        int ep = client_endpoint();
        if (ep == NONE) continue;
        message s = m;
        int r = ipc_send(ep, &s);
        if (r == ETRAPDENIED) {
            s = m;
            r = ipc_sendrec(ep, &s);
            if (r == EDEADSRCDST) r = OK;
            /* an answer is a refusal: this wl lacks the right (its
             * requester did not hold it), so there is no fault to ride out */
            else if (r == OK && s.m_type != OK) {
                event("ev=wl_fault target=%s kind=%s at=%d ep=%d result=refused", wl_label,
                      crash ? "crash" : "hang", at, ep);
                return;
            }
        }
        if (r == OK) {
            event("ev=wl_fault target=%s kind=%s at=%d ep=%d", wl_label, crash ? "crash" : "hang", at, ep);
            return;
        }
    }
    event("ev=wl_fault target=%s kind=%s at=%d ep=%d result=undelivered",
          wl_label, crash ? "crash" : "hang", at, client_endpoint());
}

static void usage(void)
{
    printf("usage: wl <kv|echo> <count> [crash@N|hang@N]\n");
    event("ev=wl_error reason=usage");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3 || client_set_target(argv[1]) < 0) usage();
    char *end;
    long count = strtol(argv[2], &end, 10);
    if (*end || end == argv[2] || count < 0 || count > 1000000) usage();
    int fault_at = -1, crash = 0;
    if (argc > 3) {
        const char *f = argv[3];
        if (!strncmp(f, "crash@", 6)) { crash = 1; f += 6; }
        else if (!strncmp(f, "hang@", 5)) f += 5;
        else usage();
        long n = strtol(f, &end, 10);
        if (*end || end == f || n < 0) usage();
        fault_at = (int)n;
    }
    client_use_alarm(1);          /* falls back to the clock if refused */
    client_bind();
    event("ev=wl_start target=%s count=%ld ep=%d fault=%s at=%d", wl_label, count,
          client_endpoint(), fault_at < 0 ? "none" : crash ? "crash" : "hang", fault_at);
    for (int i = 0; i < count; i++) {
        if (i == fault_at) {
            inject(crash, i);
            client_verify();
        }
        client_item(i);
    }
    client_report_done();
    exit(0);
}
