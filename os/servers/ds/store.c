/* store.c - DS's label table. Entries are created by a publish, by a
 * subscription to a label nobody published yet, or by a service saving
 * state before its label is published. An entry nothing refers to any more
 * (no endpoint, no subscriber, no blob) is freed at once; a saved blob of a
 * label that is gone is given up only when the table is full. */
#include "ds.h"

/* the table outlives DS (keep.c) */
#define table (ds_kept.table)

void ds_reset(void)
{
    memset(table, 0, sizeof table);
    for (int i = 0; i < DS_MAX_LABELS; i++) table[i].ep = NONE;
    subs_reset();
    keep_reset();
}

/* A label in a payload must be NUL-terminated within LABEL_MAX and not
 * empty; it is copied NUL-padded so table compares never read past it. */
int ds_label_ok(const char *payload, char *out)
{
    int n = 0;
    while (n < LABEL_MAX && payload[n]) n++;
    if (n == 0 || n == LABEL_MAX) return 0;
    memset(out, 0, LABEL_MAX);
    memcpy(out, payload, (size_t)n);
    return 1;
}

/* Only endpoints of process slots can be published: not kernel tasks nor
 * the special values ANY, NONE and SELF. */
int ds_ep_ok(int ep)
{
    if (ep == ANY || ep == NONE || ep == SELF) return 0;
    int slot = EP_SLOT(ep);
    return slot >= 0 && slot < NR_PROCS && EP_GEN(ep) >= 0 && EP_GEN(ep) <= EP_MAX_GEN;
}

struct ds_entry *ds_find(const char *label)
{
    for (int i = 0; i < DS_MAX_LABELS; i++)
        if (table[i].in_use && !strcmp(table[i].label, label)) return &table[i];
    return 0;
}

struct ds_entry *ds_find_ep(int ep)
{
    for (int i = 0; i < DS_MAX_LABELS; i++)
        if (table[i].in_use && table[i].ep == ep) return &table[i];
    return 0;
}

struct ds_entry *ds_entry_at(int idx)
{
    return idx >= 0 && idx < DS_MAX_LABELS && table[idx].in_use ? &table[idx] : 0;
}

int ds_index(const struct ds_entry *e) { return (int)(e - table); }

struct ds_entry *ds_alloc(const char *label)
{
    struct ds_entry *e = 0;
    for (int i = 0; i < DS_MAX_LABELS && !e; i++)
        if (!table[i].in_use) e = &table[i];
    /* full: take an entry only a leftover blob keeps alive */
    for (int i = 0; i < DS_MAX_LABELS && !e; i++)
        if (table[i].ep == NONE && subs_count(i, ANY, 0) == 0) e = &table[i];
    if (!e) return 0;
    memset(e, 0, sizeof *e);
    e->in_use = 1;
    e->ep = NONE;
    memcpy(e->label, label, LABEL_MAX);
    keep_seal(e);
    return e;
}

/* Free e if nothing refers to it; 1 if it was freed. */
int ds_reclaim(struct ds_entry *e)
{
    if (!e->in_use || e->ep != NONE || e->has_blob || subs_count(ds_index(e), ANY, 0)) return 0;
    e->in_use = 0;
    return 1;
}

/* The label now names ep. If that is a change, every subscriber hears of
 * it; subscriptions the old endpoint held follow the label to the new one,
 * so a subscriber that was restarted keeps hearing about what it
 * subscribed to. A label gone (ep NONE) takes its holder's subscriptions
 * with it, and the entry if nothing else keeps it. */
void ds_set_endpoint(struct ds_entry *e, int ep)
{
    int old = e->ep;
    if (old == ep) return;
    e->ep = ep;
    if (ep != NONE) e->by_user = 0;        /* RS published it: a service's label */
    if (old != NONE) {
        if (ep == NONE) subs_forget(old);
        else subs_move(old, ep);
    }
    subs_changed(ds_index(e));
    if (ep == NONE) ds_reclaim(e);
}

int ds_nr_user_labels(void)
{
    int n = 0;
    for (int i = 0; i < DS_MAX_LABELS; i++) n += table[i].in_use && table[i].by_user;
    return n;
}

int ds_nr_in_use(void)
{
    int n = 0;
    for (int i = 0; i < DS_MAX_LABELS; i++) n += table[i].in_use;
    return n;
}

int ds_nr_published(void)
{
    int n = 0;
    for (int i = 0; i < DS_MAX_LABELS; i++) if (table[i].in_use && table[i].ep != NONE) n++;
    return n;
}
