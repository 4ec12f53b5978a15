/* layout_v2.c - kv version 2: the same service with a new saved layout
 * ("KV02": only the used entries, as key/value pairs, with a count and a
 * checksum). It takes back its own layout and transfers version 1's
 * ("KV01") on a live update from kv, so the update keeps every key. */
#include "../kv/layout_v1.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

const char kv_layout[] = "KV02";

struct kv02 {
    char     magic[4];
    uint32_t generation;
    uint32_t count;
    struct { int32_t key, val; } pair[KV_KEYS];
    uint32_t sum;              /* over count and the pairs in use */
};

static uint32_t checksum(const struct kv02 *b)
{
    uint32_t s = b->count * 2654435761u;
    for (uint32_t i = 0; i < b->count && i < KV_KEYS; i++)
        s = (s ^ (uint32_t)b->pair[i].key) * 16777619u + (uint32_t)b->pair[i].val;
    return s;
}

int kv_layout_save(void)
{
    static struct kv02 b;
    memset(&b, 0, sizeof b);
    memcpy(b.magic, kv_layout, 4);
    b.generation = kvt.generation;
    for (int i = 0; i < KV_KEYS; i++)
        if (kvt.used[i]) {
            b.pair[b.count].key = kvt.key[i];
            b.pair[b.count].val = kvt.val[i];
            b.count++;
        }
    b.sum = checksum(&b);
    return kv_state_save(&b, sizeof b);
}

static int take_v2(const struct kv02 *b)
{
    if (b->count > KV_KEYS || b->sum != checksum(b)) return ENOEXEC;
    kv_clear();
    kvt.generation = b->generation;
    for (uint32_t i = 0; i < b->count; i++) {
        kvt.used[i] = 1;
        kvt.key[i] = b->pair[i].key;
        kvt.val[i] = b->pair[i].val;
    }
    return kv_table_sane() ? OK : ENOEXEC;
}

/* version 1's table, carried over as it was */
static int transfer_v1(const struct kv01 *b)
{
    kvt = b->t;
    if (!kv_table_sane()) return ENOEXEC;
    event("ev=kv_state_transfer from=KV01 to=KV02 keys=%d", kv_nr_keys());
    return OK;
}

int kv_layout_load(char found[5])
{
    static union { char magic[4]; struct kv01 v1; struct kv02 v2; uint8_t raw[KV_BLOB_MAX]; } b;
    _Static_assert(sizeof(struct kv02) <= KV_BLOB_MAX, "KV02 fits the load buffer");
    int n = kv_state_restore(&b, sizeof b);
    if (n < 0) return n;
    memcpy(found, b.magic, 4);
    found[4] = 0;
    if (n == (int)sizeof b.v2 && !memcmp(b.magic, "KV02", 4)) return take_v2(&b.v2);
    if (n == (int)sizeof b.v1 && !memcmp(b.magic, "KV01", 4)) return transfer_v1(&b.v1);
    return ENOEXEC;
}
