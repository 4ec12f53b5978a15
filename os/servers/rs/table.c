/* table.c - the one static table of RS: privileges and properties of every
 * boot service and program it knows. A boot process without an entry here
 * is a boot error. */
#include "table.h"
#include "../../lib/libc/libc.h"

/* kernel-call sets */
#define KC(c) KC_BIT(SYS_##c)
#define KC_BASE  (KC(TIMES) | KC(GETINFO) | KC(DIAGCTL) | KC(SETALARM) | KC(EXIT))
#define KC_TEST  (KC_BASE | KC(VIRCOPY) | KC(ABORT) | KC(FORK) | KC(EXEC) | \
                  KC(PRIVCTL) | KC(GETKSIG) | KC(KILL) | KC(STOP))
#define SRV_F    (PF_PREEMPTIBLE)

const struct rs_priv_entry rs_priv_table[] = {
    /* kernel test programs (os/tests) */
    { "ktest",  SRV_F, IPC_ALL_TRAPS, "*",                 KC_TEST, 4, 8, 0, 0 },
    { "peer",   SRV_F, IPC_ALL_TRAPS, "ktest victim rs",   KC_BASE, 4, 8, 0, 0 },
    { "victim", SRV_F, IPC_ALL_TRAPS, "*",                 KC_BASE, 4, 8, 0, 0 },
    /* may talk only to ktest, and use no privileged call */
    { "lonely", SRV_F, IPC_ALL_TRAPS, "ktest",             KC_BASE, 4, 8, 0, 0 },
    { 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

const struct rs_priv_entry *rs_priv_lookup(const char *label)
{
    for (const struct rs_priv_entry *e = rs_priv_table; e->label; e++)
        if (!strcmp(e->label, label)) return e;
    return 0;
}
