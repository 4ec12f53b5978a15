/* ipc_garbled.c - what a process's libsys does when a message it received
 * fails its end-to-end check (ipc.S): the message arrived not as its
 * sender sent it, so the kernel garbled it on the way. The call returns
 * EGARBLED instead of OK, and the message is not to be acted on.
 *
 * A request whose sender waits for the answer (it sent with SENDREC) is
 * refused at once with an EGARBLED answer, so the sender asks again now
 * rather than at its deadline (every client here asks again on an error
 * answer; a server that dropped the request would leave it waiting). The
 * answer goes to the endpoint the kernel named as the sender (edi), not
 * to the message's m_source: that word is part of what was garbled. It is
 * a non-blocking send, so a sender that gave up meanwhile costs nothing.
 *
 * Reported as ev=ipc_garbled: call (what this process was doing: receive
 * or sendrec, a garbled reply), from (the sender's endpoint), sent (how
 * it sent: send, sendrec or sendnb) and, for a refused request, answer
 * (the result of the refusal). A flood is summarised (evlimit.h). */
#include "syslib.h"
#include "../common/evlimit.h"

int ipc_garbled(int call, int from, int how);    /* called from ipc.S only */

static const char *call_name(int c)
{
    switch (c) {
    case IPC_SEND: return "send";
    case IPC_RECEIVE: return "receive";
    case IPC_SENDREC: return "sendrec";
    case IPC_SENDNB: return "sendnb";
    default: return "other";
    }
}

int ipc_garbled(int call, int from, int how)
{
    static struct evlimit flood;
    if (call == IPC_RECEIVE && how == IPC_SENDREC) {
        message no = { .m_type = EGARBLED };
        int r = ipc_sendnb(from, &no);
        if (event_pass(&flood, "ipc_garbled"))
            event("ev=ipc_garbled call=%s from=%d sent=%s answer=%d", call_name(call), from,
                  call_name(how), r);
    } else if (event_pass(&flood, "ipc_garbled")) {
        event("ev=ipc_garbled call=%s from=%d sent=%s", call_name(call), from, call_name(how));
    }
    return EGARBLED;
}
