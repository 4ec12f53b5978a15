/* evlimit.h - a flood of refusals or denials summarised, shared by the
 * kernel and the servers. Each refusal is worth a line when it is rare;
 * a user program that asks for the forbidden in a loop would otherwise
 * print millions of them (and the host would have to read them all). So
 * per period the first few are printed and the rest only counted; the
 * count goes out as one `ev=suppressed what=KIND n=N` line when the
 * period is over (at the next refusal, or when the owner flushes). */
#ifndef OS_EVLIMIT_H
#define OS_EVLIMIT_H

#define EVLIMIT_SHOW   10      /* lines printed per period */
#define EVLIMIT_PERIOD 100     /* ticks: one second */

struct evlimit {
    unsigned int start;        /* tick the current period began */
    unsigned int shown;        /* printed in it */
    unsigned int dropped;      /* counted, not printed, in it */
};

/* The period over at tick now? Then the count of its suppressed events
 * (0: nothing to summarise) and a new period begins. */
static inline unsigned int evlimit_flush(struct evlimit *l, unsigned int now)
{
    if (now - l->start < EVLIMIT_PERIOD) return 0;
    unsigned int n = l->dropped;
    l->start = now;
    l->shown = l->dropped = 0;
    return n;
}

/* One more event at tick now: 1 to print it, 0 counted only. *summary
 * gets the count of the period that ended before it, to print first. */
static inline int evlimit_pass(struct evlimit *l, unsigned int now, unsigned int *summary)
{
    *summary = evlimit_flush(l, now);
    if (l->shown < EVLIMIT_SHOW) { l->shown++; return 1; }
    l->dropped++;
    return 0;
}
#endif
