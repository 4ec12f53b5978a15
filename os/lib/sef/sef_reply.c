/* sef_reply.c - how a service answers a request, in the request message.
 * RS sends its requests non-blocking and takes answers in its main loop, so
 * it gets a blocking send; every other client waits in sendrec and is
 * receiving already, so a non-blocking send reaches it, and a client that
 * is not waiting cannot hang the service. */
#include "sef.h"

int sef_reply(message *m, int result)
{
    int dst = m->m_source;
    m->m_type = result;
    return dst == RS_PROC_EP ? ipc_send(dst, m) : ipc_sendnb(dst, m);
}
