/* ipc_refusal.h - the kernel's record of refused answers (issue 22): per
 * client, how many SENDREC replies in a row one partner answered with
 * ENOSYS ("no such call") to the same request type. A service whose loop
 * went wrong (a corrupted buffer pointer in echo's main loop in the EDFI
 * campaign) may refuse every request while SEF still answers RS's pings;
 * its client complains (RS_COMPLAIN, why COMPLAIN_REFUSED) and RS acts
 * only on this record (os/servers/rs/complain.c), never on the client's
 * word.
 *
 * Why ENOSYS alone: it says the service has no such call. For a request
 * of the service's own protocol that is a protocol violation, nothing a
 * correct service says. Other errors (EINVAL, EPERM, ENOENT, EAGAIN...)
 * are what a correct service answers to a bad request, an unprivileged
 * caller or a passing shortage: counting them would let a client have a
 * service restarted by asking it wrong. Whether the refused request is of
 * the service's protocol is RS's check (the request type is kept here).
 *
 * Cost: both reply paths (ipc.c deliver, ipc_fast.c deliver_fast) look
 * at the reply's type, and at the record only while a streak is on; the
 * request type is read only on a refusal. */
#ifndef IPC_REFUSAL_H
#define IPC_REFUSAL_H
#include "proc.h"

/* a refusal: client's SENDREC of request type req answered ENOSYS by from */
void ipc_refusal(struct proc *client, int from, int32_t req);

/* any other answer from `from` ends a streak of its refusals to client */
static inline void ipc_answered(struct proc *client, int from)
{
    if (client->refused_n && client->refused_ep == from) client->refused_n = 0;
}
#endif
