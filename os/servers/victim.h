/* victim.h - what the victim services (kv, echo) share for tests of RS:
 * a real crash on request, and the `crashloop` argument that makes every
 * instance crash right after its init. (Init failures are asked of SEF
 * itself: module argument sef_init=fail|timeout|crash, or service up
 * -initfail|-inittimeout|-initcrash.) */
#ifndef VICTIM_H
#define VICTIM_H
#include "../lib/libc/libc.h"
#include "../lib/libsys/syslib.h"

/* The pointer and its target are both volatile, so the store is a real
 * page fault, not one the compiler drops or turns into ud2. */
static inline void __attribute__((noreturn)) victim_crash(void)
{
    volatile int *volatile p = 0;
    *p = 0xdead;
    for (;;) ;
}

/* The deliberate crash and hang requests are faults on request: only a
 * caller holding the fault-injection right (SYS_FI_CTL in its kernel-call
 * mask, as the shell, the scenario driver and the wl tool have) may send
 * them. Anyone else gets EPERM and an event naming it. */
static inline int victim_may_inject(int ep)
{
    priv_spec_t s;
    int n = 0;
    if (sys_getinfo(GET_PRIV, &s, sizeof s, ep, &n) != OK || n != 1) return 0;
    return (s.k_calls & KC_BIT(SYS_FI_CTL)) != 0;
}

/* 1 if the arguments ask for a crash after every init. */
static inline int victim_crashloop(int argc, char **argv)
{
    int loop = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "crashloop")) loop = 1;
        else if (strncmp(argv[i], "sef_init=", 9))      /* SEF's, via RS */
            printf("%s: unknown argument %s\n", argv[0], argv[i]);
    }
    return loop;
}
#endif
