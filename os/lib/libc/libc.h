/* libc.h - the small C library of services and programs. */
#ifndef LIBC_H
#define LIBC_H
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

void  *memcpy(void *d, const void *s, size_t n);
void  *memset(void *d, int c, size_t n);
void  *memmove(void *d, const void *s, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int    strcmp(const char *a, const char *b);
int    strncmp(const char *a, const char *b, size_t n);
char  *strncpy(char *d, const char *s, size_t n);
size_t strlcpy(char *d, const char *s, size_t n);
char  *strchr(const char *s, int c);
void  *memchr(const void *s, int c, size_t n);
char  *strstr(const char *hay, const char *needle);
long   strtol(const char *s, char **end, int base);
int    atoi(const char *s);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int diag_vprintf(int as_event, const char *fmt, va_list ap);
void exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
#endif
