/* kv.h - what the parts of the kv service share: the table it serves
 * (the same in memory in every version) and the layout interface, the one
 * part that differs between versions: how the table is written to DS and
 * what saved tables a version can take back (layout_v1.c here; kv2 and kv3
 * bring their own). */
#ifndef KV_H
#define KV_H
#include <stdint.h>

#define KV_KEYS 64

struct kv_table {
    uint32_t generation;       /* instances that carried this table on */
    int32_t  used[KV_KEYS];
    int32_t  key[KV_KEYS];
    int32_t  val[KV_KEYS];
};
extern struct kv_table kvt;

int kv_nr_keys(void);
int kv_slot_of(int key);
void kv_clear(void);
/* Is a look-up's answer right: slot i (or -1, "none") is where owner's
 * key is (owner NONE: the workload's table), a slot in use taken as the
 * look-up takes it (any non-zero flag)? Checked by a loop of its own, so
 * a fault in the look-up is caught before it is answered. */
int kv_found_right(int owner, int key, int i);
/* A loaded table is only taken if it is sane: no odd flags, no duplicate
 * keys (in the user table either). */
int kv_table_sane(void);

/* The table above is the workload's namespace: the callers holding the
 * fault-injection right (wl run by the shell, the scenario driver) share
 * it, and always find their KV_KEYS keys there. Every other caller is a
 * user with a namespace of its own, keyed by its endpoint, of at most
 * KV_USER_QUOTA keys (os/include/services.h), all users together in the
 * KV_USER_SLOTS below, so no user can fill or change the workload's keys
 * or another user's. A user's entries outlive it until kv needs the room
 * (kv_user_reclaim): a process that ended never asks again, and an
 * endpoint is not reused while its generation counts on. */
#define KV_USER_SLOTS 64
struct kv_users {
    char    magic[4];          /* "KVU1" once saved */
    int32_t used[KV_USER_SLOTS], owner[KV_USER_SLOTS];
    int32_t key[KV_USER_SLOTS], val[KV_USER_SLOTS];
};
extern struct kv_users kvu;
int kv_user_keys(int owner);             /* owner's keys, or every user's if NONE */
int kv_user_slot(int owner, int key);    /* -1 if owner holds no such key */
void kv_users_clear(void);
/* Drop the entries of owners that no longer exist; how many went. */
int kv_user_reclaim(void);

/* The saved state is the layout's table followed by the user table, which
 * carries its own name ("KVU1"), so every layout (KV01, KV02, KV03) keeps
 * its name and its transfers, and a blob saved before users had tables
 * (no trailer) still loads, with no user keys. An older kv that knows no
 * trailer refuses the longer blob (its size check) instead of misreading
 * it. kv_state_restore answers the length of the table part (or an error)
 * and has taken the user table already. */
int kv_state_save(const void *table, uint32_t len);
int kv_state_restore(void *buf, uint32_t max);

/* layout_*.c */
extern const char kv_layout[];          /* this version's layout name, e.g. "KV01" */
int kv_layout_save(void);               /* the table to DS: OK or an error */
/* DS to the table: OK, ENOENT (nothing saved), or ENOEXEC when the saved
 * table has a layout this version cannot take (no transfer for it);
 * found: the saved layout's name */
int kv_layout_load(char found[5]);
/* A saved layout starts with its 4-byte name; the largest one fits this. */
#define KV_BLOB_MAX 4096
#endif
