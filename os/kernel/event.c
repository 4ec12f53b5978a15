/* event.c - machine-readable event lines on the console:
 *   EV_FRAME #EV t=<virtual microseconds> who=<name> ev=<kind> key=value ...
 * The frame byte and the header are the kernel's word: the time is its
 * clock and who is the producing process's name from the process table.
 * The host harness (faultinj/events.py) parses exactly this shape. */
#include "kernel.h"
#include "../include/kinfo.h"
#include "../include/kcall.h"

/* The longest line: header, a process name, a space, the longest text
 * (a process's event, DIAG_MAX; the kernel's own are shorter) */
#define LINE_MAX (40 + PROC_NAME_LEN + 1 + DIAG_MAX)

/* The line is built whole before any byte of it goes out. Why: a fault
 * while it is built (in event_text_byte, say) that traps or overruns is
 * contained (contain.c) before the console saw anything, so the kernel
 * call that was printing is restarted and prints the line whole, where a
 * line written as it was built was cut in two, and the host refused it. */
void kevent_raw(const char *who, const char *text, size_t len)
{
    char line[LINE_MAX];
    uint64_t t = uptime_usec();
    int n = fmt_snprintf(line, 40, "#EV t=%llu who=", (unsigned long long)t);
    size_t o = n > 0 && n < 40 ? (size_t)n : 0;
    size_t wlen = strlen(who);
    if (wlen > PROC_NAME_LEN) wlen = PROC_NAME_LEN;
    event_text_clean(line + o, who, wlen);
    o += wlen;
    line[o++] = ' ';
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len > LINE_MAX - o) len = LINE_MAX - o;
    event_text_clean(line + o, text, len);
    o += len;
    serial_newline_if_needed();
    serial_putc(EV_FRAME);
    serial_write(line, o);
    serial_write("\n", 1);
    /* said after the line it concerns, and taken before it is said: the
     * line saying it is cleaned too */
    if (event_text_redone) {
        uint32_t k = event_text_redone;
        event_text_redone = 0;
        kevent("ev=event_redone rounds=%u", k);
    }
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
