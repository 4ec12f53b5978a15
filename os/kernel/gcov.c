/* gcov.c - SYS_GCOV: the kernel streams its own coverage counters on the
 * console (see os/lib/gcov/gcov_dump.c). Never instrumented itself. */
#include "system.h"
#include "../lib/gcov/gcov_dump.h"

static void kernel_sink(const char *line, uint32_t len)
{
    serial_newline_if_needed();
    for (uint32_t i = 0; i < len; i++) serial_putc(line[i]);
}

int do_gcov(struct proc *caller, message *m)
{
    (void)caller; (void)m;
    int n = gcov_dump_all(kernel_sink, "kernel");
    if (n < 0) return ENOSYS;
    kevent("ev=gcov_done bin=kernel files=%d", n);
    return OK;
}

#if COVERAGE
/* libgcov may call abort on a corrupt stream: that is a kernel bug */
void abort(void) { panic("abort called from the coverage runtime"); }
#endif
