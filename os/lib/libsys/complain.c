/* complain.c - tell RS that a service took our timed request and never
 * answered it (RS_COMPLAIN, os/servers/rs/complain.c). RS acts only on
 * what the kernel saw: this process's last timed SENDREC to ep ended
 * without its reply after at least ep's hang threshold; anything else is
 * refused. The answer: OK (RS restarts ep) or why not. */
#include "syslib.h"
#include "../../include/services.h"

#define COMPLAIN_DEADLINE 100      /* ticks: RS answers at once, unless it is lost */

int rs_complain(int ep)
{
    message m = { .m_type = RS_COMPLAIN };
    m.COMPLAIN_EP = ep;
    int r = ipc_sendrec_timed(RS_PROC_EP, &m, COMPLAIN_DEADLINE);
    return r != OK ? r : m.m_type;
}
