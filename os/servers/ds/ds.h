/* ds.h - DS's table, shared by the request handlers (main.c) and the table
 * code (store.c). One entry per label: the endpoint it names, who wants to
 * hear when that changes, and the state blob the service behind it saved.
 * The blob hangs off the label, not the endpoint, so a restarted service
 * (new endpoint, same label) gets its state back. */
#ifndef DS_H
#define DS_H
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

#define DS_MAX_LABELS 32
#define DS_MAX_SUBS   8

struct ds_sub {
    int ep;          /* subscriber, NONE = free */
    int pending;     /* a change it has not fetched with DS_CHECK yet */
};

struct ds_entry {
    int      in_use;
    char     label[LABEL_MAX];
    int      ep;                 /* NONE: subscribed to or deleted, not published */
    struct ds_sub subs[DS_MAX_SUBS];
    int      has_blob;
    uint32_t blob_len;
    uint8_t  blob[DS_STATE_MAX];
};

/* store.c */
void ds_reset(void);
struct ds_entry *ds_find(const char *label);
struct ds_entry *ds_find_ep(int ep);
struct ds_entry *ds_alloc(const char *label);
void ds_set_endpoint(struct ds_entry *e, int ep);
int  ds_subscribe(struct ds_entry *e, int ep);
struct ds_entry *ds_next_change(int ep);
void ds_forget_subscriber(int ep);
int  ds_nr_published(void);
int  ds_label_ok(const char *payload, char *out);
int  ds_ep_ok(int ep);
#endif
