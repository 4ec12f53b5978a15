/* ds.h - DS's tables, shared by the request handlers (main.c), the label
 * table (store.c), the subscriptions (subs.c) and the questions DS asks RS
 * and the kernel about its callers (who.c).
 *
 * One entry per label: the endpoint it names and the state blob the
 * service behind it saved. The blob hangs off the label, not the endpoint,
 * so a restarted service (new endpoint, same label) gets its state back.
 * Subscriptions live in a pool of their own, each naming its entry. */
#ifndef DS_H
#define DS_H
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"
#include "../../lib/common/format.h"

#define DS_MAX_LABELS 32
#define DS_MAX_SUBS   64     /* subscriptions of everyone together */

/* What a client that RS did not start (a user program) may hold. Services
 * are bounded only by the tables; these limits keep a hostile or careless
 * program from filling them, so that what is left always fits every label
 * RS can publish and every subscription a service makes. */
#define DS_CLIENT_SUBS  4    /* subscriptions of one user client */
#define DS_USER_SUBS    16   /* subscriptions of all user clients */
#define DS_USER_LABELS  8    /* labels that exist only because users asked */
/* 24: NR_SERVICES, the size of RS's table (os/include/rspub.h) */
_Static_assert(DS_MAX_LABELS - DS_USER_LABELS >= 24, "room for every RS service");
_Static_assert(DS_USER_SUBS <= DS_MAX_SUBS / 2, "services keep most subscriptions");

struct ds_entry {
    int      in_use;
    char     label[LABEL_MAX];
    int      ep;                 /* NONE: subscribed to or deleted, not published */
    int      by_user;            /* made by a user's subscription, not used by a service yet */
    int      has_blob;
    uint32_t blob_len;
    uint8_t  blob[DS_STATE_MAX];
};

struct ds_sub {
    int ep;          /* subscriber, NONE = free */
    int entry;       /* index in the label table */
    int pending;     /* a change it has not fetched with DS_CHECK yet */
    int user;        /* counts against the user limits */
};

/* What outlives DS (keep.c): the label table, the subscriptions, and a
 * checksum per entry. store.c and subs.c work on these arrays. */
struct ds_kept {
    uint32_t magic, version;
    struct ds_entry table[DS_MAX_LABELS];
    struct ds_sub   subs[DS_MAX_SUBS];
    uint32_t sum[DS_MAX_LABELS];
    /* entries dropped since the last fresh start: the labels they named
     * cannot be trusted, so no label without a blob may be told "nothing
     * saved" (ENOENT) any more; such a RETRIEVE gets ELOST instead */
    uint32_t lost;
};
extern struct ds_kept ds_kept;

/* keep.c */
void keep_reset(void);
void keep_seal(const struct ds_entry *e);        /* after every change to e */
int  keep_check(int *dropped_entries, int *dropped_subs);

/* store.c */
void ds_reset(void);
struct ds_entry *ds_find(const char *label);
struct ds_entry *ds_find_ep(int ep);
struct ds_entry *ds_alloc(const char *label);
struct ds_entry *ds_entry_at(int idx);
int  ds_index(const struct ds_entry *e);
void ds_set_endpoint(struct ds_entry *e, int ep);
int  ds_reclaim(struct ds_entry *e);
int  ds_nr_user_labels(void);
int  ds_nr_in_use(void);
int  ds_nr_published(void);
int  ds_label_ok(const char *payload, char *out);
int  ds_ep_ok(int ep);

/* subs.c */
void subs_reset(void);
struct ds_sub *subs_find(int entry, int ep);
struct ds_sub *subs_add(int entry, int ep, int user);
int  subs_count(int entry, int ep, int user_only);   /* ANY matches all */
void subs_changed(int entry);
void subs_move(int old_ep, int new_ep);
int  subs_forget(int ep);
struct ds_entry *subs_next_change(int ep);
int  subs_sweep(void);

/* who.c */
int  rs_getpub(int idx, message *q);
int  rs_label_of(int ep, char *label);
int  ds_is_service(int ep);
int  ds_ep_alive(int ep);
#endif
