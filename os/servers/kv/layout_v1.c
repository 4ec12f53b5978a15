/* layout_v1.c - kv version 1's saved table ("KV01"): the table as it is in
 * memory, behind the layout's name. Version 1 takes back only its own
 * layout. */
#include "layout_v1.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

const char kv_layout[] = "KV01";

int kv_layout_save(void)
{
    static struct kv01 b;
    memcpy(b.magic, kv_layout, 4);
    b.t = kvt;
    return kv_state_save(&b, sizeof b);
}

int kv_layout_load(char found[5])
{
    static union { char magic[4]; struct kv01 v1; uint8_t raw[KV_BLOB_MAX]; } b;
    int n = kv_state_restore(&b, sizeof b);
    if (n < 0) return n;
    memcpy(found, b.magic, 4);
    found[4] = 0;
    if (n != (int)sizeof b.v1 || memcmp(b.magic, kv_layout, 4)) return ENOEXEC;
    kvt = b.v1.t;
    return kv_table_sane() ? OK : ENOEXEC;
}
