/* format.h - the printf formatter shared by the kernel and the user libc. */
#ifndef OS_FORMAT_H
#define OS_FORMAT_H
#include <stddef.h>
#include <stdarg.h>
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
