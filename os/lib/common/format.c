/* format.c - a small vsnprintf: %d %i %u %x %X %o %p %s %c %% with flags
 * '-', '0', width, precision for strings, and the l / ll length modifiers.
 * Freestanding: compiled into both the kernel and the user libc. */
#include <stdint.h>
#include "format.h"

struct out { char *buf; size_t size, len; };

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, unsigned long long v, unsigned base, int upper,
                    int neg, int width, int zero, int left)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do { tmp[n++] = digits[v % base]; v /= base; } while (v);
    int len = n + (neg ? 1 : 0);
    if (!left && !zero) for (; width > len; width--) put(o, ' ');
    if (neg) put(o, '-');
    if (!left && zero) for (; width > len; width--) put(o, '0');
    while (n) put(o, tmp[--n]);
    if (left) for (; width > len; width--) put(o, ' ');
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(&o, *fmt); continue; }
        fmt++;
        int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') zero = 1;
            else break;
        }
        if (*fmt == '*') { width = va_arg(ap, int); fmt++; }
        else while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++; prec = 0;
            if (*fmt == '*') { prec = va_arg(ap, int); fmt++; }
            else while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') { lng++; fmt++; }
        if (*fmt == 'z') fmt++;
        switch (*fmt) {
        case 'd': case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            unsigned long long u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
            put_num(&o, u, 10, 0, v < 0, width, zero, left);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
                                 : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            put_num(&o, v, base, *fmt == 'X', 0, width, zero, left);
            break;
        }
        case 'p':
            put(&o, '0'); put(&o, 'x');
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16, 0, 0, 8, 1, 0);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int len = 0;
            while (s[len] && (prec < 0 || len < prec)) len++;
            if (!left) for (int w = width; w > len; w--) put(&o, ' ');
            for (int i = 0; i < len; i++) put(&o, s[i]);
            if (left) for (int w = width; w > len; w--) put(&o, ' ');
            break;
        }
        case 'c': put(&o, (char)va_arg(ap, int)); break;
        case '%': put(&o, '%'); break;
        case 0: fmt--; break;
        default: put(&o, '%'); put(&o, *fmt); break;
        }
    }
    if (size) buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

const char *ev_quote(char *out, size_t size, const char *s)
{
    size_t n = 0;
    if (size < 3) { if (size) out[0] = 0; return out; }
    out[n++] = '"';
    for (; s && *s && n + 3 < size; s++) {
        char c = *s;
        if (c == '"' || c == '\\') out[n++] = '\\';
        out[n++] = (unsigned char)c < ' ' || c == 0x7f ? '?' : c;
    }
    out[n++] = '"';
    out[n] = 0;
    return out;
}
