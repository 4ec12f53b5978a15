/* rspub.h - the public part of RS's process table, as every service sees
 * it: RS copies the whole array into a starting service's buffer when it
 * answers RS_INIT_HELLO (the init data), and answers RS_GETPUB with one
 * entry. Entry i is RS's slot i; an entry without RSF_IN_USE is free. */
#ifndef OS_RSPUB_H
#define OS_RSPUB_H
#include "services.h"

#define NR_SERVICES 24         /* slots in RS's table */

struct rprocpub {
    char     label[LABEL_MAX];
    int32_t  endpoint;         /* NONE while it has no process */
    int32_t  flags;            /* RSF_* */
    int32_t  restarts;
    int32_t  period;           /* heartbeat ticks, 0 = none */
    int32_t  policy;           /* RS_POLICY_* */
    int32_t  pid;              /* PM's pid of the instance; -1 until PM has told RS */
    uint32_t vm_calls;         /* VM call mask (VM_CALL_*): what VM lets it ask */
};

/* The checksum of n entries as RS copied them (INIT_PUB_SUM): RS computes
 * it over what it sends, a service over what it got, so a table that went
 * bad on the way or in the service's buffer is found before it is used.
 * FNV-1a over the bytes; never 0, so 0 means "no sum given". */
static inline uint32_t rspub_sum(const struct rprocpub *p, int n)
{
    uint32_t s = 2166136261u;
    const unsigned char *b = (const unsigned char *)p;
    for (uint32_t i = 0; i < (uint32_t)n * sizeof *p; i++) s = (s ^ b[i]) * 16777619u;
    return s | 1u;
}
#endif
