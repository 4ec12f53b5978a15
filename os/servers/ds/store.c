/* store.c - DS's label table. Entries are created by a publish or by a
 * subscription to a label nobody published yet; an entry is only reused
 * once nothing refers to it any more (no endpoint, no subscriber); a saved
 * blob of a label that is gone is given up only when the table is full. */
#include "ds.h"

static struct ds_entry table[DS_MAX_LABELS];

void ds_reset(void)
{
    memset(table, 0, sizeof table);
    for (int i = 0; i < DS_MAX_LABELS; i++) {
        table[i].ep = NONE;
        for (int s = 0; s < DS_MAX_SUBS; s++) table[i].subs[s].ep = NONE;
    }
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

static int nr_subs(const struct ds_entry *e)
{
    int n = 0;
    for (int s = 0; s < DS_MAX_SUBS; s++) if (e->subs[s].ep != NONE) n++;
    return n;
}

struct ds_entry *ds_alloc(const char *label)
{
    struct ds_entry *e = 0;
    for (int i = 0; i < DS_MAX_LABELS && !e; i++)
        if (!table[i].in_use) e = &table[i];
    /* full: take an entry only a leftover blob keeps alive */
    for (int i = 0; i < DS_MAX_LABELS && !e; i++)
        if (table[i].ep == NONE && nr_subs(&table[i]) == 0) e = &table[i];
    if (!e) return 0;
    memset(e, 0, sizeof *e);
    e->in_use = 1;
    e->ep = NONE;
    for (int s = 0; s < DS_MAX_SUBS; s++) e->subs[s].ep = NONE;
    memcpy(e->label, label, LABEL_MAX);
    return e;
}

/* The label now names ep. If that is a change, every subscriber gets a
 * notification and a queued change for DS_CHECK; subscriptions the old
 * endpoint held follow the label to the new one, so a subscriber that was
 * restarted keeps hearing about what it subscribed to. */
void ds_set_endpoint(struct ds_entry *e, int ep)
{
    int old = e->ep;
    if (old == ep) return;
    e->ep = ep;
    if (old != NONE) {
        if (ep == NONE) ds_forget_subscriber(old);
        else
            for (int i = 0; i < DS_MAX_LABELS; i++) {
                if (!table[i].in_use) continue;
                int has_new = 0;
                for (int s = 0; s < DS_MAX_SUBS; s++) has_new |= table[i].subs[s].ep == ep;
                for (int s = 0; s < DS_MAX_SUBS; s++)
                    if (table[i].subs[s].ep == old) {
                        /* one subscription per endpoint and label */
                        table[i].subs[s].ep = has_new ? NONE : ep;
                        if (has_new) table[i].subs[s].pending = 0;
                        has_new = 1;
                    }
            }
    }
    for (int s = 0; s < DS_MAX_SUBS; s++) {
        struct ds_sub *sub = &e->subs[s];
        if (sub->ep == NONE) continue;
        sub->pending = 1;
        ipc_notify(sub->ep);     /* non-blocking; a dead subscriber is no matter */
    }
}

int ds_subscribe(struct ds_entry *e, int ep)
{
    struct ds_sub *free_sub = 0;
    for (int s = 0; s < DS_MAX_SUBS; s++) {
        if (e->subs[s].ep == ep) return OK;           /* already subscribed */
        if (e->subs[s].ep == NONE && !free_sub) free_sub = &e->subs[s];
    }
    if (!free_sub) return ENOSPC;
    free_sub->ep = ep;
    free_sub->pending = 0;
    return OK;
}

/* Oldest-in-table change queued for ep, now marked fetched. Repeated
 * changes of one label coalesce: the caller reads the current endpoint. */
struct ds_entry *ds_next_change(int ep)
{
    for (int i = 0; i < DS_MAX_LABELS; i++) {
        if (!table[i].in_use) continue;
        for (int s = 0; s < DS_MAX_SUBS; s++) {
            struct ds_sub *sub = &table[i].subs[s];
            if (sub->ep == ep && sub->pending) { sub->pending = 0; return &table[i]; }
        }
    }
    return 0;
}

void ds_forget_subscriber(int ep)
{
    for (int i = 0; i < DS_MAX_LABELS; i++)
        for (int s = 0; s < DS_MAX_SUBS; s++)
            if (table[i].in_use && table[i].subs[s].ep == ep) {
                table[i].subs[s].ep = NONE;
                table[i].subs[s].pending = 0;
            }
}

int ds_nr_published(void)
{
    int n = 0;
    for (int i = 0; i < DS_MAX_LABELS; i++) if (table[i].in_use && table[i].ep != NONE) n++;
    return n;
}
