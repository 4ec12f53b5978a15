/* event.c - machine-readable event lines on the console:
 *   EV_FRAME #EV t=<virtual microseconds> who=<name> ev=<kind> key=value ...
 * The frame byte and the header are the kernel's word: the time is its
 * clock and who is the producing process's name from the process table.
 * The host harness (faultinj/events.py) parses exactly this shape. */
#include "kernel.h"

static void put_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        serial_putc(event_text_byte(s[i]));
}

void kevent_raw(const char *who, const char *text, size_t len)
{
    char head[40];
    uint64_t t = uptime_usec();
    int n = fmt_snprintf(head, sizeof head, "#EV t=%llu who=", (unsigned long long)t);
    serial_newline_if_needed();
    serial_putc(EV_FRAME);
    serial_write(head, (size_t)n);
    put_text(who, strlen(who));
    serial_putc(' ');
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    put_text(text, len);
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
