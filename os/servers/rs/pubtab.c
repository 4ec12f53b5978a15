/* pubtab.c - the init data: RS copies its public table into the buffer a
 * starting service names in its hello, so the service's init callbacks can
 * look up any service (label, endpoint, flags, pid, VM call mask) without
 * asking anyone. RS copies with its own kernel call: the service needs no
 * right for it, and can only have RS write into its own memory. */
#include "rs.h"

static struct rprocpub snap[NR_SERVICES];

/* Entries copied (whole entries only, at most the table), or an error. */
int pub_copy_out(int ep, uint32_t addr, uint32_t len, uint32_t *sum)
{
    *sum = 0;
    uint32_t n = len / sizeof snap[0];
    if (n > NR_SERVICES) n = NR_SERVICES;
    if (n == 0) return 0;
    for (uint32_t i = 0; i < n; i++) {
        snap[i] = rproc[i].pub;
        if (!(snap[i].flags & RSF_IN_USE)) {    /* a free slot shows nothing old */
            memset(&snap[i], 0, sizeof snap[i]);
            snap[i].endpoint = NONE;
            snap[i].pid = -1;
        }
    }
    *sum = rspub_sum(snap, (int)n);
    int r = sys_vircopy(SELF, (uint32_t)snap, ep, addr, n * sizeof snap[0]);
    return r == OK ? (int)n : r;
}
