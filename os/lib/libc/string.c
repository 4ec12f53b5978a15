/* string.c - string and memory routines for user programs. */
#include "libc.h"

/* Word-wide, for few guest instructions: under -icount a byte loop costs
 * five instructions a byte where a string instruction costs one a word
 * (message copies sit on the IPC path; the services compare and clear
 * whole tables on every request: kv's recovery window checks its table
 * against the committed copy at each one). But under TCG every iteration
 * of a rep-prefixed instruction is one dispatch of its block, and those
 * dispatches were most of a run's host time spent in copies (kv's table
 * compares alone ~290,000 a run). So what is longer than BULK goes eight
 * words a step, one dispatch each; what is shorter keeps the string
 * instruction. (No loop-to-memcpy rewriting inside memcpy itself.) */
#define BULK 64
#define NOIDIOM __attribute__((optimize("no-tree-loop-distribute-patterns")))
typedef uint32_t __attribute__((may_alias, aligned(1))) word_t;

void *memcpy(void *d, const void *s, size_t n)
{
    void *dp = d;
    const void *sp = s;
    if (n > BULK) {
        word_t *dw = d;
        const word_t *sw = s;
        for (; n >= 32; n -= 32, dw += 8, sw += 8) {
            uint32_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            uint32_t f = sw[4], g = sw[5], h = sw[6], k = sw[7];
            dw[0] = a; dw[1] = b; dw[2] = c; dw[3] = e;
            dw[4] = f; dw[5] = g; dw[6] = h; dw[7] = k;
        }
        dp = dw;
        sp = sw;
    }
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
NOIDIOM void *memset(void *d, int c, size_t n)
{
    void *dp = d;
    uint32_t v = (uint8_t)c * 0x01010101u;
    if (n > BULK) {
        word_t *dw = d;
        for (; n >= 32; n -= 32, dw += 8) {
            dw[0] = v; dw[1] = v; dw[2] = v; dw[3] = v;
            dw[4] = v; dw[5] = v; dw[6] = v; dw[7] = v;
        }
        dp = dw;
    }
    size_t words = n / 4, bytes = n % 4;
    __asm__ volatile("rep stosl" : "+D"(dp), "+c"(words) : "a"(v) : "memory");
    __asm__ volatile("rep stosb" : "+D"(dp), "+c"(bytes) : "a"(v) : "memory");
    return d;
}
int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    if (n > BULK) {
        /* up to the first block of eight words that differs */
        const word_t *p = a, *q = b;
        for (; n >= 32; n -= 32, p += 8, q += 8)
            if ((p[0] ^ q[0]) | (p[1] ^ q[1]) | (p[2] ^ q[2]) | (p[3] ^ q[3]) |
                (p[4] ^ q[4]) | (p[5] ^ q[5]) | (p[6] ^ q[6]) | (p[7] ^ q[7]))
                break;
        x = (const uint8_t *)p;
        y = (const uint8_t *)q;
    }
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
