/* bigbss.h - a program whose image is mostly .bss, BSS_BYTES of it, for
 * the bounds on exec (tests/test_exec_bounds.py): the kernel maps and
 * zeroes all of it before the program runs, in one kernel call. The
 * program checks that the kernel handed it zeroed memory, touches every
 * page once, and says so, with the free frames it sees (a leak on exec or
 * exit would show as fewer each run). bss1m.c, bss3m.c, ... each set the size. */
#include "testproto.h"

static volatile char buf[BSS_BYTES];

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    uint32_t nonzero = 0;
    for (uint32_t off = 0; off < sizeof buf; off += 4096) {
        if (buf[off] || buf[off + 4095]) nonzero++;
        buf[off] = 1;
    }
    struct kinfo k;
    int n = 0;
    uint32_t free = sys_getinfo(GET_KINFO, &k, sizeof k, 0, &n) == OK && n == 1 ? k.free_frames : 0;
    event("ev=bigbss_done bytes=%u nonzero=%u free=%u", (uint32_t)sizeof buf, nonzero, free);
    return 0;
}
