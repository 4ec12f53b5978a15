/* sef_gcov.c - a service dumps its coverage counters when RS asks (the
 * `gcov` command), one console line at a time through the kernel. */
#include "sef_priv.h"
#include "../gcov/gcov_dump.h"
#include "../libc/libc.h"

static void user_sink(const char *line, uint32_t len)
{
    sys_diag(line, len, 0);
}

int sef_gcov_dump(const char *who)
{
    int n = gcov_dump_all(user_sink, who);
    event("ev=gcov_done bin=%s files=%d", who, n);
    return n;
}
