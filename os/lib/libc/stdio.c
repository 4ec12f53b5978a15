/* stdio.c - printf for services: formats a line and writes it with the
 * kernel's diagnostic call (the tty driver takes over later). */
#include "libc.h"
#include "../common/format.h"
#include "../libsys/syslib.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return fmt_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Format into one console write: a plain line, or an event line the
 * kernel prefixes with time and process name. */
int diag_vprintf(int as_event, const char *fmt, va_list ap)
{
    char buf[DIAG_MAX];
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
    sys_diag(buf, (uint32_t)n, as_event);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = diag_vprintf(0, fmt, ap);
    va_end(ap);
    return n;
}

void exit(int status)
{
    (void)status;
    sys_exit_proc(SELF);
    for (;;) ;
}

void abort(void)
{
    printf("abort\n");
    exit(1);
}
