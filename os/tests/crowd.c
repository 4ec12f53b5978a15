/* crowd.c - a test service (started after boot) for the shared user
 * privilege: it has PM start 30 user programs at once (`bomb park`, each
 * a tree of its own, since a service starts them), then asks the kernel
 * about every one: all must hold INIT's priv id and no system flag. It ends
 * one and checks that the others' privilege, and INIT's, did not change
 * (a shared priv is never freed), then ends the rest. Events:
 *   ev=crowd_init priv= flags= calls=          INIT's privilege
 *   ev=crowd_check phase= procs= same= sys= intact=
 *   ev=crowd_done ok=0|1 err=                  */
#include "testproto.h"
#include "../include/services.h"
#include "../include/signal.h"

#define CROWD 30
#define WAIT_TICKS 500

static int pm_call(message *m)
{
    int r = ipc_sendrec(PM_PROC_EP, m);
    return r != OK ? r : m->m_type;
}

static void nap(void)
{
    message m;
    if (sys_setalarm(1, 0) == OK) ipc_receive(CLOCK, &m);
}

/* The live user processes named "bomb", from the kernel's table. */
static int bombs(int *eps, int max)
{
    static struct proc_info tab[NR_TASKS + NR_PROCS];
    int n = 0, got = 0;
    if (sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &n) != OK) return -1;
    for (int i = 0; i < n; i++)
        if (!(tab[i].rts_flags & RTS_SLOT_FREE) && !strcmp(tab[i].name, "bomb") && got < max)
            eps[got++] = tab[i].endpoint;
    return got;
}

static int wait_bombs(int *eps, int want)
{
    int n = -1;
    for (int t = 0; t < WAIT_TICKS && (n = bombs(eps, CROWD)) != want; t++) nap();
    return n;
}

static int same(const priv_spec_t *a, const priv_spec_t *b)
{
    return a->id == b->id && a->flags == b->flags && a->trap_mask == b->trap_mask &&
           a->ipc_to == b->ipc_to && a->k_calls == b->k_calls && a->sig_mgr == b->sig_mgr;
}

/* Every live bomb against INIT's privilege as first seen; 1 if all hold
 * that very privilege, unchanged, without system flags. */
static int check(const char *phase, const priv_spec_t *init0, int want)
{
    int eps[CROWD], n = wait_bombs(eps, want), match = 0, sys = 0;
    priv_spec_t init;
    int intact = sys_getinfo(GET_PRIV, &init, sizeof init, MAKE_EP(0, INIT_PROC_NR), 0) == OK &&
                 same(&init, init0);
    for (int i = 0; i < n; i++) {
        priv_spec_t s;
        if (sys_getinfo(GET_PRIV, &s, sizeof s, eps[i], 0) != OK) continue;
        match += same(&s, init0);
        sys += (s.flags & PF_SYS_PROC) != 0;
    }
    event("ev=crowd_check phase=%s procs=%d same=%d sys=%d intact=%d", phase, n, match, sys, intact);
    return n == want && match == want && sys == 0 && intact;
}

static int kill_pid(int pid)
{
    message m = { .m_type = PM_KILL };
    m.PM_PID = pid;
    m.PM_SIG = SIGTERM;
    return pm_call(&m);
}

int main(void)
{
    int ok = 1, err = OK, pids[CROWD];
    /* PM must know this service before it takes its kill requests */
    for (int t = 0; t < WAIT_TICKS; t++) {
        message m = { .m_type = PM_GETPID };
        if (pm_call(&m) >= 0) break;
        nap();
    }
    priv_spec_t init0;
    if ((err = sys_getinfo(GET_PRIV, &init0, sizeof init0, MAKE_EP(0, INIT_PROC_NR), 0)) != OK) {
        event("ev=crowd_done ok=0 err=%d", err);
        return 1;
    }
    event("ev=crowd_init priv=%d flags=0x%x calls=0x%llx", init0.id, init0.flags,
          (unsigned long long)init0.k_calls);
    for (int i = 0; i < CROWD; i++) {
        message m = { .m_type = PM_SPAWN };
        strlcpy(m.PM_NAME, "bomb", LABEL_MAX);
        strlcpy(m.PM_ARGS, "park", PM_ARGS_MAX);
        if ((pids[i] = pm_call(&m)) < 0) { ok = 0; err = pids[i]; }
    }
    ok &= check("all", &init0, CROWD);
    /* one ends: the privilege it shared must stay as it was */
    if ((err = kill_pid(pids[0])) != OK) ok = 0;
    ok &= check("one_ended", &init0, CROWD - 1);
    for (int i = 1; i < CROWD; i++)
        if (kill_pid(pids[i]) != OK) ok = 0;
    ok &= check("all_ended", &init0, 0);
    event("ev=crowd_done ok=%d err=%d", ok, err);
    return 0;
}
