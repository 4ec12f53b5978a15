/* fi_trigger.h - the one trigger decision, shared by the kernel's hooks
 * (kernel/fi.c) and every process's (lib/fi/fi.c): at a live hit of an
 * armed slot, does it fire now?
 *   NTH    the Nth live hit in this hitter (kernel, or one process instance)
 *   TIMES  every hit (the kernel bounds how often it fires in all)
 *   PROB   a draw of a linear congruential generator, seeded from the
 *          slot's seed at the hitter's first draw
 * Hits count from the scenario step the slot went live at. Nothing here
 * writes the table: it is read-only to processes, and the kernel keeps it
 * as armed. */
#ifndef OS_FI_TRIGGER_H
#define OS_FI_TRIGGER_H
#include "fi.h"

struct fi_trigger_state {
    uint32_t live_hits[FI_SLOTS];
    uint32_t prng;             /* 0: not seeded yet */
};

static inline int fi_trigger_fires(struct fi_trigger_state *st, int slot, uint32_t trigger,
                                   uint32_t n, uint32_t prob, uint32_t seed)
{
    st->live_hits[slot]++;
    if (trigger == FI_TRIG_NTH) return st->live_hits[slot] == n;
    if (trigger == FI_TRIG_TIMES) return 1;
    if (!st->prng) st->prng = seed ? seed : 1;
    st->prng = st->prng * 1103515245u + 12345u;
    return (st->prng >> 8) % 1000000u < prob;
}
#endif
