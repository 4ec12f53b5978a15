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

int printf(const char *fmt, ...)
{
    char buf[DIAG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
    sys_diag(buf, (uint32_t)n, 0);
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
