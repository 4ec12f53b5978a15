/* complain.c - tell RS that a service breaks its protocol (RS_COMPLAIN,
 * os/servers/rs/complain.c): why is COMPLAIN_LOST_REPLY (it took our timed
 * request and never answered) or COMPLAIN_REFUSED (it answers our request
 * ENOSYS, again and again). RS acts only on what the kernel saw, not on
 * this word. The answer: OK (RS restarts ep) or why not. */
#include "syslib.h"
#include "../../include/services.h"

#define COMPLAIN_DEADLINE 100      /* ticks: RS answers at once, unless it is lost */

int rs_complain(int ep, int why)
{
    message m = { .m_type = RS_COMPLAIN };
    m.COMPLAIN_EP = ep;
    m.COMPLAIN_WHY = why;
    int r = ipc_sendrec_timed(RS_PROC_EP, &m, COMPLAIN_DEADLINE);
    return r != OK ? r : m.m_type;
}
