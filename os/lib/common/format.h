/* format.h - the printf formatter shared by the kernel and the user libc. */
#ifndef OS_FORMAT_H
#define OS_FORMAT_H
#include <stddef.h>
#include <stdarg.h>
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* s as one quoted event value: "..." with \" and \\ escaped and control
 * bytes shown as '?', so free text (a panic reason, a command line) goes
 * into an event line whole and the host reads back exactly s. Returns out. */
const char *ev_quote(char *out, size_t size, const char *s);
#endif
