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
/* A loaded table is only taken if it is sane: no odd flags, no duplicate keys. */
int kv_table_sane(void);

/* layout_*.c */
extern const char kv_layout[];          /* this version's layout name, e.g. "KV01" */
int kv_layout_save(void);               /* the table to DS: OK or an error */
/* DS to the table: OK, ENOENT (nothing saved), or ENOEXEC when the saved
 * table has a layout this version cannot take (no transfer for it);
 * found: the saved layout's name */
int kv_layout_load(char found[5]);
/* A saved layout starts with its 4-byte name; the largest one fits this. */
#define KV_BLOB_MAX 1024
#endif
