/* rude.c - a boot process that sends requests to PM and TTY with a plain
 * send and never receives their answers, as a careless or hostile client
 * might. A server that answered with a blocking send would hang on it
 * until RS killed the server for missed pings. It waits a while (only for
 * its alarm, so an answer never gets through), says ev=rude_done, and
 * stays like that. */
#include "testproto.h"
#include "../include/services.h"

#define WAIT_TICKS 300          /* 15 heartbeat periods of the default 20 */

int main(void)
{
    message m = { .m_type = PM_GETPID };
    int pm = ipc_send(PM_PROC_EP, &m);
    message t = { .m_type = TTY_WRITE };
    t.m.i[0] = 0;
    int tty = ipc_send(TTY_PROC_EP, &t);
    event("ev=rude_sent pm=%d tty=%d", pm, tty);
    message c;
    if (sys_setalarm(WAIT_TICKS, 0) == OK) ipc_receive(CLOCK, &c);
    event("ev=rude_done");
    for (;;) ipc_receive(CLOCK, &c);    /* no alarm set: never returns */
}
