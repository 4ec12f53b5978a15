/* ipc_refusal.c - counting a client's refused answers (ipc_refusal.h):
 * consecutive ENOSYS replies from one partner to one request type, with
 * the ticks of the first and the last. RS reads the record through the
 * process snapshot (sys_info.c, struct proc_info). */
#include "ipc_refusal.h"

void ipc_refusal(struct proc *client, int from, int32_t req)
{
    if (client->refused_n && client->refused_ep == from && client->refused_type == req) {
        if (client->refused_n < 0xffffffffu) client->refused_n++;
    } else {
        /* another partner or another request: a new streak */
        client->refused_ep = from;
        client->refused_type = req;
        client->refused_n = 1;
        client->refused_since = ticks;
    }
    client->refused_at = ticks;
}
