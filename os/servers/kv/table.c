/* table.c - kv's table in memory, the same in every version. */
#include "kv.h"
#include "../../lib/libc/libc.h"

struct kv_table kvt;

int kv_nr_keys(void)
{
    int n = 0;
    for (int i = 0; i < KV_KEYS; i++) n += kvt.used[i] != 0;
    return n;
}

int kv_slot_of(int key)
{
    for (int i = 0; i < KV_KEYS; i++) if (kvt.used[i] && kvt.key[i] == key) return i;
    return -1;
}

void kv_clear(void)
{
    memset(&kvt, 0, sizeof kvt);
}

int kv_table_sane(void)
{
    for (int i = 0; i < KV_KEYS; i++) {
        if (kvt.used[i] != 0 && kvt.used[i] != 1) return 0;
        if (kvt.used[i] && kv_slot_of(kvt.key[i]) != i) return 0;   /* duplicate key */
    }
    return 1;
}
