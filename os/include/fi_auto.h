/* fi_auto.h - the golden run's count of automatic basic-block sites.
 *
 * In the golden build (build/golden/, every marker still a call) each
 * instrumented block calls __sanitizer_cov_trace_pc, which counts the
 * block's site address here: an open-addressing table in the process's
 * (or the kernel's) .bss, symbol fi_auto_counts, that the host reads
 * through the GDB stub when the machine stops at its end
 * (campaigns/golden.py). In the shipped build only armed sites call the
 * hook, so the table holds just them. fi_auto_lost counts sites that found
 * the table full: the host refuses a golden run that lost any. */
#ifndef OS_FI_AUTO_H
#define OS_FI_AUTO_H
#include <stdint.h>

#define FI_AUTO_COUNT_SLOTS 4096      /* a power of two */

struct fi_auto_count {
    uint32_t addr;                    /* site (marker) address; 0 = empty */
    uint32_t hits;
};

static inline void fi_auto_count(struct fi_auto_count *t, uint32_t *lost, uint32_t site)
{
    uint32_t h = (site * 2654435761u) >> 20;          /* 12 bits */
    for (uint32_t n = 0; n < FI_AUTO_COUNT_SLOTS; n++, h = (h + 1) & (FI_AUTO_COUNT_SLOTS - 1)) {
        if (t[h].addr == site) { t[h].hits++; return; }
        if (!t[h].addr) { t[h].addr = site; t[h].hits = 1; return; }
    }
    (*lost)++;
}
#endif
