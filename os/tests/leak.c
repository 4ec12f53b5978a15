/* leak.c - an ordinary user program (started with `run leak WHAT`) that
 * tries to read where the kernel keeps its tables, from ring 3, with the
 * instructions x86 leaves unprivileged unless CR4.UMIP is set:
 *   sgdt sidt sldt smsw str
 * With UMIP each faults (#GP) and the program is ended by the kernel as
 * for any fault; without it, it says what it read:
 *   ev=leak_read what= value=  */
#include "testproto.h"

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "sgdt";
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } d = {0, 0};
    uint32_t v = 0;
    if (!strcmp(what, "sgdt")) { __asm__ volatile("sgdt %0" : "=m"(d)); v = d.base; }
    else if (!strcmp(what, "sidt")) { __asm__ volatile("sidt %0" : "=m"(d)); v = d.base; }
    else if (!strcmp(what, "sldt")) { uint16_t s; __asm__ volatile("sldt %0" : "=m"(s)); v = s; }
    else if (!strcmp(what, "smsw")) { uint16_t s; __asm__ volatile("smsw %0" : "=m"(s)); v = s; }
    else if (!strcmp(what, "str")) { uint16_t s; __asm__ volatile("str %0" : "=m"(s)); v = s; }
    else return 1;
    event("ev=leak_read what=%s value=0x%x", what, v);
    return 0;
}
