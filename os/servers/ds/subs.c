/* subs.c - DS's subscriptions: who wants to hear when which label changes.
 * One pool for all labels rather than a few slots per label, so users
 * subscribing to one label (kv, say) cannot take the slot a service needs
 * on it; the user limits, checked in main.c before subs_add, leave most of
 * the pool to services. A user client's subscription
 * ends when the client dies: DS finds out from PM's notification, from a
 * failed notify, or when it looks before refusing someone for want of
 * room. */
#include "ds.h"

/* the pool outlives DS (keep.c) */
#define subs (ds_kept.subs)

void subs_reset(void)
{
    memset(subs, 0, sizeof subs);
    for (int i = 0; i < DS_MAX_SUBS; i++) subs[i].ep = NONE;
}

struct ds_sub *subs_find(int entry, int ep)
{
    for (int i = 0; i < DS_MAX_SUBS; i++)
        if (subs[i].ep != NONE && subs[i].entry == entry && subs[i].ep == ep) return &subs[i];
    return 0;
}

/* entry or ep ANY: every one; user_only: only those of user clients */
int subs_count(int entry, int ep, int user_only)
{
    int n = 0;
    for (int i = 0; i < DS_MAX_SUBS; i++) {
        struct ds_sub *s = &subs[i];
        if (s->ep == NONE || (user_only && !s->user)) continue;
        if ((entry == ANY || s->entry == entry) && (ep == ANY || s->ep == ep)) n++;
    }
    return n;
}

struct ds_sub *subs_add(int entry, int ep, int user)
{
    for (int i = 0; i < DS_MAX_SUBS; i++) {
        struct ds_sub *s = &subs[i];
        if (s->ep != NONE) continue;
        s->ep = ep;
        s->entry = entry;
        s->pending = 0;
        s->user = user;
        return s;
    }
    return 0;
}

static void drop(struct ds_sub *s)
{
    int entry = s->entry;
    s->ep = NONE;
    s->pending = 0;
    struct ds_entry *e = ds_entry_at(entry);
    if (e) ds_reclaim(e);
}

/* A subscriber is dead: end its subscriptions and say so, with how many
 * labels went with them. */
static int clean(int ep, const char *why)
{
    int before = ds_nr_in_use();
    int n = subs_forget(ep);
    event("ev=ds_cleaned ep=%d subs=%d labels=%d why=%s", ep, n, before - ds_nr_in_use(), why);
    return n;
}

/* Every subscriber of entry gets a queued change for DS_CHECK and a
 * notification. A notify that finds the subscriber dead (its generation
 * is gone) ends its subscriptions there and then. */
void subs_changed(int entry)
{
    for (int i = 0; i < DS_MAX_SUBS; i++) {
        struct ds_sub *s = &subs[i];
        if (s->ep == NONE || s->entry != entry) continue;
        s->pending = 1;
        int ep = s->ep;
        /* non-blocking; a dead service's subscriptions wait for RS to
         * publish its new endpoint (subs_move) or delete its label */
        if (ipc_notify(ep) == EDEADSRCDST && s->user) clean(ep, "notify");
    }
}

/* A restarted subscriber got a new endpoint: its subscriptions follow,
 * one per label. */
void subs_move(int old_ep, int new_ep)
{
    for (int i = 0; i < DS_MAX_SUBS; i++) {
        struct ds_sub *s = &subs[i];
        if (s->ep != old_ep) continue;
        if (subs_find(s->entry, new_ep)) drop(s);
        else s->ep = new_ep;
    }
}

/* End every subscription of ep; how many there were. Labels only those
 * subscriptions kept alive go with them. */
int subs_forget(int ep)
{
    int n = 0;
    for (int i = 0; i < DS_MAX_SUBS; i++)
        if (subs[i].ep == ep) { drop(&subs[i]); n++; }
    return n;
}

/* Oldest-in-pool change queued for ep, now marked fetched. Repeated
 * changes of one label coalesce: the caller reads the current endpoint. */
struct ds_entry *subs_next_change(int ep)
{
    for (int i = 0; i < DS_MAX_SUBS; i++) {
        struct ds_sub *s = &subs[i];
        if (s->ep != ep || !s->pending) continue;
        s->pending = 0;
        struct ds_entry *e = ds_entry_at(s->entry);
        if (e) return e;
    }
    return 0;
}

/* Ask the kernel about every user subscriber and end the subscriptions of
 * the dead ones. Endpoints carry a generation, so a slot reused by another
 * process does not keep a dead subscriber's subscriptions alive. Services
 * are left to RS's word: a restarted one gets its subscriptions moved to
 * its new endpoint when RS publishes it, a stopped one loses them when RS
 * deletes its label. Returns the number of subscriptions ended. */
int subs_sweep(void)
{
    int total = 0;
    for (int i = 0; i < DS_MAX_SUBS; i++) {
        int ep = subs[i].ep;
        if (ep == NONE || !subs[i].user || ds_ep_alive(ep)) continue;
        total += clean(ep, "dead");
    }
    return total;
}
