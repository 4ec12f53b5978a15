/* string.c - string and memory routines for user programs. */
#include "libc.h"

/* Word moves: message copies sit on the IPC fast path. */
void *memcpy(void *d, const void *s, size_t n)
{
    void *dp = d;
    const void *sp = s;
    size_t words = n / 4, bytes = n % 4;
    __asm__ volatile("rep movsl" : "+D"(dp), "+S"(sp), "+c"(words) :: "memory");
    __asm__ volatile("rep movsb" : "+D"(dp), "+S"(sp), "+c"(bytes) :: "memory");
    return d;
}
void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d; const uint8_t *sp = s;
    if (dp < sp) while (n--) *dp++ = *sp++;
    else { dp += n; sp += n; while (n--) *--dp = *--sp; }
    return d;
}
/* Word stores and word compares, like memcpy: the services compare and
 * clear whole tables on every request (kv's recovery window checks its
 * table against the committed copy at each one), and under -icount a
 * byte loop costs five instructions a byte where a string instruction
 * costs one a word. */
void *memset(void *d, int c, size_t n)
{
    void *dp = d;
    uint32_t v = (uint8_t)c * 0x01010101u;
    size_t words = n / 4, bytes = n % 4;
    __asm__ volatile("rep stosl" : "+D"(dp), "+c"(words) : "a"(v) : "memory");
    __asm__ volatile("rep stosb" : "+D"(dp), "+c"(bytes) : "a"(v) : "memory");
    return d;
}
int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    size_t words = n / 4;
    if (words) {
        /* past the first word that differs, or past every word */
        __asm__ volatile("repe cmpsl" : "+S"(x), "+D"(y), "+c"(words) :: "memory", "cc");
        uint32_t xw, yw;
        memcpy(&xw, x - 4, 4);
        memcpy(&yw, y - 4, 4);
        if (xw != yw) { x -= 4; y -= 4; n = 4; }   /* its bytes say which is less */
        else n %= 4;
    }
    for (; n; n--, x++, y++) if (*x != *y) return *x - *y;
    return 0;
}
size_t strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return (uint8_t)*a - (uint8_t)*b;
}
int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b) return (uint8_t)*a - (uint8_t)*b;
        if (!*a) return 0;
    }
    return 0;
}
char *strncpy(char *d, const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && s[i]; i++) d[i] = s[i];
    for (; i < n; i++) d[i] = 0;
    return d;
}
size_t strlcpy(char *d, const char *s, size_t n)
{
    size_t len = strlen(s);
    if (n) {
        size_t c = len < n - 1 ? len : n - 1;
        memcpy(d, s, c);
        d[c] = 0;
    }
    return len;
}
void *memchr(const void *s, int c, size_t n)
{
    const uint8_t *p = s;
    for (; n; n--, p++) if (*p == (uint8_t)c) return (void *)p;
    return 0;
}
char *strchr(const char *s, int c)
{
    for (; *s; s++) if (*s == (char)c) return (char *)s;
    return c ? 0 : (char *)s;
}
long strtol(const char *s, char **end, int base)
{
    long v = 0; int neg = 0;
    while (*s == ' ') s++;
    if (*s == '-') { neg = 1; s++; } else if (*s == '+') s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { s += 2; base = 16; }
    if (base == 0) base = 10;
    for (;; s++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (*s >= 'a' && *s <= 'z') d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'Z') d = *s - 'A' + 10;
        else break;
        if (d >= base) break;
        v = v * base + d;
    }
    if (end) *end = (char *)s;
    return neg ? -v : v;
}
int atoi(const char *s) { return (int)strtol(s, 0, 10); }
char *strstr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) if (!strncmp(hay, needle, n)) return (char *)hay;
    return n ? 0 : (char *)hay;
}
