/* memhog.c - takes the machine's memory, for RS's resource checks: grows
 * its heap (SYS_GROW) until only `leave=N` frames are free, says how many
 * it took (ev=memhog_done), then blocks for good holding them. A service
 * that crashes afterwards cannot be restarted for want of memory. */
#include "testproto.h"

static uint32_t free_frames(void)
{
    struct kinfo k;
    int n = 0;
    return sys_getinfo(GET_KINFO, &k, sizeof k, 0, &n) == OK && n == 1 ? k.free_frames : 0;
}

int main(int argc, char **argv)
{
    uint32_t leave = 10, taken = 0;
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "leave=", 6)) leave = (uint32_t)atoi(argv[i] + 6);
    /* big steps first, then page by page, so exactly `leave` stay free
     * (a step may also need a page table) */
    for (uint32_t step = 64; step >= 1; step /= 4)
        while (free_frames() > leave + step + 1 && sys_grow(step * 4096u, 0) == OK) taken += step;
    while (free_frames() > leave && sys_grow(4096u, 0) == OK) taken++;
    event("ev=memhog_done taken=%u free=%u", taken, free_frames());
    message m;
    for (;;) ipc_receive(KERNEL, &m);
}
