/* victim.h - what the victim services (kv, echo) share for tests of RS:
 * a real crash on request, and the `crashloop` argument that makes every
 * instance crash right after its init. (Init failures are asked of SEF
 * itself: module argument sef_init=fail|timeout|crash, or service up
 * -initfail|-inittimeout|-initcrash.) */
#ifndef VICTIM_H
#define VICTIM_H
#include "../lib/libc/libc.h"
#include "../lib/libsys/syslib.h"
#include "../lib/sef/sef.h"

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

/* What an init callback sees of the system through the init data: the
 * entries in use, and DS's and RS's endpoint and pid (tests compare them
 * with `service list` and `ps`). */
static inline void victim_show_system(const struct sef_init_info *info)
{
    int used = 0;
    for (int i = 0; i < info->nr_pub; i++) used += (info->pub[i].flags & RSF_IN_USE) != 0;
    const struct rprocpub *ds = sef_pub_lookup(info, "ds"), *rs = sef_pub_lookup(info, "rs");
    const struct rprocpub *me = sef_pub_lookup(info, info->label);
    event("ev=init_pub label=%s type=%d entries=%d ds_ep=%d ds_pid=%d rs_ep=%d rs_pid=%d "
          "self_ep=%d self_pid=%d", info->label, info->type, used,
          ds ? ds->endpoint : NONE, ds ? ds->pid : -1, rs ? rs->endpoint : NONE,
          rs ? rs->pid : -1, me ? me->endpoint : NONE, me ? me->pid : -1);
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
