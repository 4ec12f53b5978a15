/* layout_v3.c - kv version 3: a saved layout ("KV03": keys and values in
 * two packed arrays behind a count) and, on purpose, no transfer from any
 * earlier layout. A live update from kv or kv2 to kv3 must therefore fail
 * its state check, and RS must roll back to the running version with its
 * table intact: the test of an incompatible update. */
#include "../kv/kv.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

const char kv_layout[] = "KV03";

struct kv03 {
    char     magic[4];
    uint32_t count, generation;
    int32_t  keys[KV_KEYS];
    int32_t  vals[KV_KEYS];
};

int kv_layout_save(void)
{
    static struct kv03 b;
    memset(&b, 0, sizeof b);
    memcpy(b.magic, kv_layout, 4);
    b.generation = kvt.generation;
    for (int i = 0; i < KV_KEYS; i++)
        if (kvt.used[i]) { b.keys[b.count] = kvt.key[i]; b.vals[b.count] = kvt.val[i]; b.count++; }
    return kv_state_save(&b, sizeof b);
}

int kv_layout_load(char found[5])
{
    static union { char magic[4]; struct kv03 v3; uint8_t raw[KV_BLOB_MAX]; } b;
    int n = kv_state_restore(&b, sizeof b);
    if (n < 0) return n;
    memcpy(found, b.magic, 4);
    found[4] = 0;
    if (n != (int)sizeof b.v3 || memcmp(b.magic, kv_layout, 4) || b.v3.count > KV_KEYS)
        return ENOEXEC;
    kv_clear();
    kvt.generation = b.v3.generation;
    for (uint32_t i = 0; i < b.v3.count; i++) {
        kvt.used[i] = 1; kvt.key[i] = b.v3.keys[i]; kvt.val[i] = b.v3.vals[i];
    }
    return kv_table_sane() ? OK : ENOEXEC;
}
