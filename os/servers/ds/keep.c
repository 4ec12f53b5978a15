/* keep.c - DS's tables in memory that outlives DS itself.
 *
 * Every service's saved state lives in DS, so DS's own restart must not
 * lose it. The label table and the subscriptions are in section .keep,
 * which the kernel carries over when RS replaces DS's image in place (a
 * restart or live update of this restart-policy service: KEEP_BASE in
 * os/include/layout.h). A fresh start clears them. A restarted DS does not
 * trust what it finds blindly: the instance before may have died in the
 * middle of changing it. Each entry carries a checksum written after
 * every change; an entry that fails its check is dropped, and said so,
 * rather than handed back wrong. Its label cannot be trusted either, so
 * from then on DS answers ELOST, not ENOENT, to any RETRIEVE it has no
 * blob for: a service whose state was dropped must not start empty
 * believing nothing was saved. Endpoints are not taken from here at all
 * but from RS's public table, which is the truth about who runs. */
#include "ds.h"
#include "../../include/fi.h"

#define DS_KEPT_MAGIC   0x4453306bu       /* "k0SD" */
/* the checksum's algorithm (entry_sum): 2, FNV-1a's step over words */
#define DS_KEPT_SUM     2u
/* changes with the layout and the checksum, so a new version never
 * misreads an old one */
#define DS_KEPT_VERSION ((uint32_t)(sizeof(struct ds_entry) * 131 + sizeof(struct ds_sub) * 7 + \
                                    DS_MAX_LABELS * 3 + DS_MAX_SUBS) * 4 + DS_KEPT_SUM)

struct ds_kept ds_kept __attribute__((section(".keep")));
_Static_assert(sizeof(struct ds_kept) <= 512u * 1024u, "fits KEEP_SIZE");

/* FNV-1a's step, over a 32-bit word at a time: the blob is sealed after
 * every change (kv saves its whole table with each PUT), and a byte loop
 * cost seven guest instructions a byte, a third of a campaign run's
 * instructions. Each step is a bijection of the running value (xor, then
 * a multiply by an odd number), so a change confined to one word always
 * changes the sum; wider changes collide about once in 2^32. */
static uint32_t mix(uint32_t s, uint32_t w) { return (s ^ w) * 16777619u; }

static uint32_t mix_bytes(uint32_t s, const uint8_t *p, uint32_t n)
{
    uint32_t i = 0, w;
#pragma GCC unroll 4
    for (; i + 4 <= n; i += 4) {
        __builtin_memcpy(&w, p + i, 4);
        s = mix(s, w);
    }
    for (; i < n; i++) s = mix(s, p[i]);
    return s;
}

static uint32_t entry_sum(const struct ds_entry *e)
{
    uint32_t s = mix_bytes(2166136261u, (const uint8_t *)e->label, LABEL_MAX);
    s = mix(s, (uint32_t)e->has_blob);
    s = mix(s, e->blob_len);
    s = mix_bytes(s, e->blob, e->blob_len < DS_STATE_MAX ? e->blob_len : DS_STATE_MAX);
    return s | 1u;                         /* 0 means never sealed */
}

void keep_seal(const struct ds_entry *e)
{
    ds_kept.sum[ds_index(e)] = entry_sum(e);
}

void keep_reset(void)
{
    ds_kept.magic = DS_KEPT_MAGIC;
    ds_kept.version = DS_KEPT_VERSION;
    memset(ds_kept.sum, 0, sizeof ds_kept.sum);
    ds_kept.lost = 0;
}

/* After a restart: keep what checks out. Returns the entries kept, and
 * counts what was dropped. */
int keep_check(int *dropped_entries, int *dropped_subs)
{
    *dropped_entries = *dropped_subs = 0;
    if (ds_kept.magic != DS_KEPT_MAGIC || ds_kept.version != DS_KEPT_VERSION) {
        event("ev=ds_kept_unusable magic=0x%x version=%u", ds_kept.magic, ds_kept.version);
        return -1;
    }
    int kept = 0;
    for (int i = 0; i < DS_MAX_LABELS; i++) {
        struct ds_entry *e = &ds_kept.table[i];
        if (!e->in_use) continue;
        /* injected: this entry's kept bytes went bad, for the check to find */
        if (e->blob_len > 0 && e->blob_len <= DS_STATE_MAX && FI_ERROR("ds.keep.corrupt"))
            e->blob[0] ^= 0x5a;
        char label[LABEL_MAX];
        int ok = e->blob_len <= DS_STATE_MAX && ds_label_ok(e->label, label) &&
                 !memcmp(label, e->label, LABEL_MAX) && (e->in_use == 1) &&
                 ds_kept.sum[i] == entry_sum(e);
        if (!ok) {
            event("ev=ds_kept_dropped entry=%d why=check", i);
            memset(e, 0, sizeof *e);
            e->ep = NONE;
            ds_kept.sum[i] = 0;
            (*dropped_entries)++;
            continue;
        }
        e->ep = NONE;                      /* RS's table says who runs now */
        kept++;
    }
    if (*dropped_entries) ds_kept.lost = 1;
    for (int i = 0; i < DS_MAX_SUBS; i++) {
        struct ds_sub *s = &ds_kept.subs[i];
        if (s->ep == NONE) continue;
        if (s->entry < 0 || s->entry >= DS_MAX_LABELS || !ds_kept.table[s->entry].in_use ||
            !ds_ep_ok(s->ep) || !ds_ep_alive(s->ep)) {
            s->ep = NONE;
            (*dropped_subs)++;
        }
    }
    return kept;
}
