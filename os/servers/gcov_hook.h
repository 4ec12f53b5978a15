/* gcov_hook.h - RS dumps its own coverage counters like a SEF service. */
#ifndef GCOV_HOOK_H
#define GCOV_HOOK_H
#include "../lib/gcov/gcov_dump.h"
#include "../lib/libsys/syslib.h"
static void rs_gcov_sink(const char *line, uint32_t len) { sys_diag(line, len, 0); }
static inline void rs_gcov_dump_self(void)
{
    int n = gcov_dump_all(rs_gcov_sink, "rs");
    event("ev=gcov_done bin=rs files=%d", n);
}
#endif
