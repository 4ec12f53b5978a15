/* event.c - machine-readable event lines on the console:
 *   #EV t=<virtual microseconds> who=<name> ev=<kind> key=value ...
 * The host harness (faultinj/events.py) parses exactly this shape. */
#include "kernel.h"

void kevent_raw(const char *who, const char *text, size_t len)
{
    char head[64];
    uint64_t t = uptime_usec();
    int n = fmt_snprintf(head, sizeof head, "#EV t=%llu who=%s ", (unsigned long long)t, who);
    serial_newline_if_needed();
    serial_write(head, (size_t)n);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    /* an event is one line: a stray newline would split it */
    for (size_t i = 0; i < len; i++)
        serial_putc(text[i] == '\n' || text[i] == '\r' ? ' ' : text[i]);
    serial_write("\n", 1);
}

void kevent(const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
    kevent_raw("kernel", buf, (size_t)n);
}
