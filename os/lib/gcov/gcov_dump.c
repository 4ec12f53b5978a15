/* gcov_dump.c - stream the counters of a gcov-instrumented, freestanding
 * binary (kernel or service) as text lines on the console:
 *   #GCOV who=<binary> file=<.gcda path>
 *   #GCDA <binary> <hex bytes>  (repeated; binaries may interleave)
 *   #GCOV-END who=<binary> bytes=<n> sum=<byte sum mod 2^32>
 * GCC 12 emits one gcov_info pointer per object into .gcov_info (with
 * -fprofile-info-section); __gcov_info_to_gcda turns each into the bytes
 * of a .gcda file. The host (faultinj/coverage.py) rebuilds the files.
 * This file itself is never instrumented. */
#include "gcov_dump.h"

#if COVERAGE
#include <gcov.h>
#include "../common/format.h"

extern const struct gcov_info *const __gcov_info_start[];
extern const struct gcov_info *const __gcov_info_end[];

struct dump_state {
    gcov_sink_t sink;
    const char *who;
    uint32_t limit;             /* bytes one file may have, 0: any */
    void (*over)(void);         /* called past the limit; does not return */
    uint32_t bytes, sum;
    char line[192];
    unsigned used, prefix;
};

static char pool[16384];
static unsigned pool_used;

static void flush_hex(struct dump_state *st)
{
    if (!st->used) return;
    st->line[st->used++] = '\n';
    st->sink(st->line, st->used);
    st->used = 0;
}

static void on_filename(const char *name, void *arg)
{
    struct dump_state *st = arg;
    char buf[320];
    int n = fmt_snprintf(buf, sizeof buf, "#GCOV who=%s file=%s\n", st->who, name ? name : "?");
    st->sink(buf, (uint32_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1));
}

static void on_data(const void *data, unsigned len, void *arg)
{
    static const char hex[] = "0123456789abcdef";
    struct dump_state *st = arg;
    const unsigned char *p = data;
    for (unsigned i = 0; i < len; i++) {
        if (!st->used)
            st->used = st->prefix = (unsigned)fmt_snprintf(st->line, sizeof st->line, "#GCDA %s ", st->who);
        st->line[st->used++] = hex[p[i] >> 4];
        st->line[st->used++] = hex[p[i] & 15];
        st->bytes++;
        st->sum += p[i];
        if (st->limit && st->bytes > st->limit) st->over();
        if (st->used >= st->prefix + 128) flush_hex(st);
    }
}

/* the library asks for scratch memory: a bump allocator, reset per file */
static void *on_alloc(unsigned len, void *arg)
{
    (void)arg;
    len = (len + 7) & ~7u;
    if (pool_used + len > sizeof pool) return 0;
    void *p = pool + pool_used;
    pool_used += len;
    return p;
}

int gcov_dump_range(const void *const *start, const void *const *end, gcov_sink_t sink,
                    const char *who, uint32_t limit, void (*over)(void), void (*each)(void))
{
    int files = 0;
    for (const void *const *i = start; i < end; i++) {
        if (each) each();
        struct dump_state st = { sink, who, limit, over, 0, 0, {0}, 0, 0 };
        pool_used = 0;
        __gcov_info_to_gcda((const struct gcov_info *)*i, on_filename, on_data, on_alloc, &st);
        flush_hex(&st);
        char buf[96];
        int n = fmt_snprintf(buf, sizeof buf, "#GCOV-END who=%s bytes=%u sum=%u\n", who,
                             st.bytes, st.sum);
        sink(buf, (uint32_t)n);
        files++;
    }
    return files;
}

int gcov_dump_all(gcov_sink_t sink, const char *who)
{
    return gcov_dump_range((const void *const *)__gcov_info_start,
                           (const void *const *)__gcov_info_end, sink, who, 0, 0, 0);
}

/* What libgcov's freestanding path refers to but never needs here. */
void __gcov_merge_add(void *counters, unsigned n) { (void)counters; (void)n; }
void *mmap64(void *a, unsigned long l, int p, int f, int fd, long long o)
{
    (void)a; (void)l; (void)p; (void)f; (void)fd; (void)o;
    return (void *)-1;          /* failure: the allocate callback is used */
}
#else
int gcov_dump_all(gcov_sink_t sink, const char *who) { (void)sink; (void)who; return -1; }
int gcov_dump_range(const void *const *start, const void *const *end, gcov_sink_t sink,
                    const char *who, uint32_t limit, void (*over)(void), void (*each)(void))
{
    (void)start; (void)end; (void)sink; (void)who; (void)limit; (void)over; (void)each;
    return -1;
}
#endif
