/* table.c - kv's table in memory, the same in every version. */
#include "kv.h"
#include "window.h"
#include "../../lib/libc/libc.h"
#include "../../lib/libsys/syslib.h"
#include "../../lib/sef/sef.h"

struct kv_table kvt;
struct kv_users kvu;
static const char users_magic[4] = { 'K', 'V', 'U', '1' };

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

int kv_found_right(int owner, int key, int i)
{
    if (owner == NONE) {
        if (i >= 0) return i < KV_KEYS && kvt.used[i] && kvt.key[i] == key;
        for (int j = 0; j < KV_KEYS; j++) if (kvt.used[j] && kvt.key[j] == key) return 0;
        return 1;
    }
    if (i >= 0)
        return i < KV_USER_SLOTS && kvu.used[i] && kvu.owner[i] == owner && kvu.key[i] == key;
    for (int j = 0; j < KV_USER_SLOTS; j++)
        if (kvu.used[j] && kvu.owner[j] == owner && kvu.key[j] == key) return 0;
    return 1;
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
    for (int i = 0; i < KV_USER_SLOTS; i++) {
        if (kvu.used[i] != 0 && kvu.used[i] != 1) return 0;
        if (kvu.used[i] && kv_user_slot(kvu.owner[i], kvu.key[i]) != i) return 0;
    }
    return 1;
}

int kv_user_keys(int owner)
{
    int n = 0;
    for (int i = 0; i < KV_USER_SLOTS; i++)
        n += kvu.used[i] && (owner == NONE || kvu.owner[i] == owner);
    return n;
}

int kv_user_slot(int owner, int key)
{
    for (int i = 0; i < KV_USER_SLOTS; i++)
        if (kvu.used[i] && kvu.owner[i] == owner && kvu.key[i] == key) return i;
    return -1;
}

void kv_users_clear(void)
{
    memset(&kvu, 0, sizeof kvu);
}

/* The kernel knows an endpoint only while its process lives (the
 * generation in it is checked), so a failed look-up means the owner is
 * gone for good. */
static int alive(int ep)
{
    priv_spec_t s;
    int n = 0;
    return sys_getinfo(GET_PRIV, &s, sizeof s, ep, &n) == OK && n == 1;
}

int kv_user_reclaim(void)
{
    int dropped = 0;
    for (int i = 0; i < KV_USER_SLOTS; i++) {
        if (!kvu.used[i] || alive(kvu.owner[i])) continue;
        int dead = kvu.owner[i];
        for (int j = i; j < KV_USER_SLOTS; j++)
            if (kvu.used[j] && kvu.owner[j] == dead) { kv_set(&kvu.used[j], 0); dropped++; }
    }
    return dropped;
}

int kv_state_save(const void *table, uint32_t len)
{
    static uint8_t b[KV_BLOB_MAX];
    _Static_assert(sizeof(struct kv_table) + 4 + sizeof(struct kv_users) <= KV_BLOB_MAX,
                   "the largest layout and the user table fit one saved state");
    if (len + sizeof kvu > sizeof b) return E2BIG;
    memcpy(b, table, len);
    memcpy(kvu.magic, users_magic, 4);
    memcpy(b + len, &kvu, sizeof kvu);
    return sef_state_save(b, len + sizeof kvu);
}

int kv_state_restore(void *buf, uint32_t max)
{
    int n = sef_state_restore(buf, max);
    kv_users_clear();
    if (n < 0) return n;
    const uint8_t *tail = (const uint8_t *)buf + n - (int)sizeof kvu;
    if (n >= (int)sizeof kvu && !memcmp(tail, users_magic, 4)) {
        memcpy(&kvu, tail, sizeof kvu);
        n -= (int)sizeof kvu;
    }
    return n;
}
