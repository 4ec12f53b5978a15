/* table.c - RS's static tables, as in MINIX's boot image tables: the priv
 * table (privileges), the sys table (how RS treats and supervises each
 * service) and the dev table (devices and their drivers), merged by label
 * when RS starts.
 * Boot services are initialized in the priv table's order. A boot process
 * without a priv entry is a boot error. */
#include "table.h"
#include "../../lib/libc/libc.h"
#include "../../include/rsopts.h"

/* kernel-call sets */
#define KC(c) KC_BIT(SYS_##c)
#define KC_BASE  (KC(TIMES) | KC(GETINFO) | KC(DIAGCTL) | KC(SETALARM) | KC(EXIT) | KC(FI_FIRE))
#define KC_PM    (KC_BASE | KC(FORK) | KC(EXEC) | KC(PRIVCTL) | KC(GETKSIG) | KC(KILL) | KC(STOP))
#define KC_DS    (KC_BASE | KC(VIRCOPY))
#define KC_TTY   (KC_BASE | KC(SERIAL) | KC(ABORT) | KC(FI_CTL))
#define KC_TEST  (KC_BASE | KC(VIRCOPY) | KC(ABORT) | KC(FORK) | KC(EXEC) | \
                  KC(PRIVCTL) | KC(GETKSIG) | KC(KILL) | KC(STOP))
#define KC_SCEN  (KC_BASE | KC(ABORT) | KC(FI_CTL))
#define SRV_F    (PF_PREEMPTIBLE)
#define ALL      IPC_ALL_TRAPS
#define SENDREC  (1u << IPC_SENDREC)

/* The priv table: what each service or program may do. Its order is the
 * boot order of the boot services. */
static const struct rs_priv rs_privs[] = {
/*  label        flags  traps  ipc  kcalls  vm calls  priority quantum */
    /* RS itself: its slot makes it visible (service list, the host's
     * table reader); its privileges are the kernel's, nothing here starts,
     * pings or restarts it */
    { "rs",      0, ALL, "*", 0, VM_CALL_ALL, 0, 8 },
    { "ds",      SRV_F, ALL, "*", KC_DS, VM_CALL_ALL, 3, 8 },
    { "vm",      SRV_F, ALL, "*", KC_BASE, VM_CALL_ALL, 3, 8 },
    { "pm",      SRV_F, ALL, "*", KC_PM, VM_CALL_ALL, 3, 8 },
    { "mem",     SRV_F, ALL, "*", KC_DS, VM_CALL_INFO, 4, 8 },
    { "tty",     SRV_F, ALL, "*", KC_TTY, VM_CALL_INFO, 3, 8 },
    { "kv",      SRV_F, ALL, "*", KC_BASE, VM_CALL_INFO, 4, 8 },
    { "echo",    SRV_F, ALL, "*", KC_BASE, VM_CALL_INFO, 4, 8 },
    /* SF_USER: the kernel's shared user privilege, whose reach is RS and
     * these core servers plus every service with ipc "*"; the columns
     * here are not applied to it (os/kernel/main.c setup_user_priv) */
    { "init",    0, SENDREC, "pm rs vm ds tty", 0, 0, 6, 8 },
    /* the experiment's scenario driver (os/commands/scenario): asks RS for
     * service changes, steps the fault table, sleeps on alarms, halts */
    { "scenario",SRV_F, ALL, "*", KC_SCEN, 0, 5, 8 },
    /* kernel test programs (os/tests) */
    { "ktest",   SRV_F, ALL, "*", KC_TEST, 0, 4, 8 },
    { "peer",    SRV_F, ALL, "ktest victim rs", KC_BASE, 0, 4, 8 },
    { "victim",  SRV_F, ALL, "*", KC_BASE, 0, 4, 8 },
    /* may talk only to ktest, and use no privileged call */
    { "lonely",  SRV_F, ALL, "ktest", KC_BASE, 0, 4, 8 },
    /* sends to PM and TTY but never takes their answers, once all is up */
    { "rude",    SRV_F, ALL, "pm tty", KC_BASE, 0, 4, 8 },
    /* has PM start 30 user programs and checks they share INIT's priv */
    { "crowd",   SRV_F, ALL, "pm", KC_BASE, 0, 4, 8 },
    /* takes memory until little is left (SYS_GROW), once all is up */
    { "memhog",  SRV_F, ALL, "rs", KC_BASE | KC(GROW), 0, 4, 8 },
    { 0 },
};

/* Supervision (last column): at most R restarts in W seconds, then the
 * next stage of the escalation chain; the labels a service depends on and
 * what their new endpoint means to it; after how many heartbeat periods a
 * late answer is a warning and a missing one a hang. Core services cannot
 * be reset pristine (their clients know them by a fixed endpoint, and a
 * PM, VM or DS without its tables would leave the system inconsistent):
 * beyond their restarts the system panics. */
/*                 R   W   chain                   deps  dependency policy    late hang */
#define SUP_CORE { 6, 10, "restart,giveup",        0,    RS_DEP_ONE_FOR_ONE,  1,   2 }
#define SUP_SVC  { 6, 10, "restart,reset,giveup",  0,    RS_DEP_ONE_FOR_ONE,  1,   2 }
/* echo follows kv (it subscribes to kv's label in DS): told, not restarted */
#define SUP_ECHO { 6, 10, "restart,reset,giveup",  "kv", RS_DEP_ONE_FOR_ONE,  1,   2 }

/* The sys table: how RS treats each one (sys flags, heartbeat period,
 * recovery policy, the binaries a live update may run, supervision). A
 * label missing here is a plain service: no flags, default period, reset
 * policy, RS's default supervision (zeros: supervise.h). */
static const struct rs_sys rs_sys_table[] = {
/*  label        sys flags                           period policy binaries supervision */
    { "rs",      SF_SELF | SF_CORE | SF_NOSEF | SF_NORESTART, -1, RS_POLICY_RESTART, 0, { 0 } },
    { "ds",      SF_CORE | SF_SYNCH_BOOT | SF_FIXED_EP, 0, RS_POLICY_RESTART, 0, SUP_CORE },
    { "vm",      SF_CORE | SF_SYNCH_BOOT | SF_FIXED_EP, 0, RS_POLICY_RESTART, 0, SUP_CORE },
    { "pm",      SF_CORE | SF_SYNCH_BOOT | SF_FIXED_EP, 0, RS_POLICY_RESTART, 0, SUP_CORE },
    { "mem",     SF_CORE, 0, RS_POLICY_RESET, 0, SUP_CORE },
    { "tty",     SF_CORE | SF_SVC_MGR, 0, RS_POLICY_RESTART, 0, SUP_CORE },
    { "kv",      0, 0, RS_POLICY_RESET, "kv2 kv3", SUP_SVC },
    { "echo",    0, 0, RS_POLICY_RESTART, 0, SUP_ECHO },
    { "init",    SF_USER | SF_NOSEF | SF_NORESTART, -1, RS_POLICY_RESET, 0, { 0 } },
    { "scenario",SF_NOSEF | SF_NORESTART | SF_AFTER_BOOT | SF_SVC_MGR, -1, RS_POLICY_RESET, 0, { 0 } },
    { "ktest",   SF_NOSEF | SF_NORESTART | SF_SVC_MGR, -1, RS_POLICY_RESET, 0, { 0 } },
    { "peer",    SF_NOSEF | SF_NORESTART, -1, RS_POLICY_RESET, 0, { 0 } },
    { "victim",  SF_NOSEF | SF_NORESTART, -1, RS_POLICY_RESET, 0, { 0 } },
    { "lonely",  SF_NOSEF | SF_NORESTART, -1, RS_POLICY_RESET, 0, { 0 } },
    { "rude",    SF_NOSEF | SF_NORESTART | SF_AFTER_BOOT, -1, RS_POLICY_RESET, 0, { 0 } },
    { "crowd",   SF_NOSEF | SF_NORESTART | SF_AFTER_BOOT, -1, RS_POLICY_RESET, 0, { 0 } },
    { "memhog",  SF_NOSEF | SF_NORESTART | SF_AFTER_BOOT, -1, RS_POLICY_RESET, 0, { 0 } },
    { 0 },
};

/* The dev table: the devices a driver serves. RS names the driver of each
 * in DS (label "dev.<name>") whenever it (re)starts, so clients find the
 * console's driver by the device, whichever endpoint it has now. */
static const struct rs_dev rs_dev_table[] = {
    { "tty", "console", 4, 0x3f8, 8 },        /* COM1: IRQ 4, ports 0x3f8-0x3ff */
    { 0 },
};

/* What RS works with: the three tables merged by label, once. */
struct rs_priv_entry rs_priv_table[sizeof rs_privs / sizeof rs_privs[0]];

void rs_tables_init(void)
{
    static const struct rs_sys plain = { 0, 0, 0, RS_POLICY_RESET, 0, { 0 } };
    for (unsigned i = 0; rs_privs[i].label; i++) {
        const struct rs_priv *p = &rs_privs[i];
        const struct rs_sys *s = &plain;
        for (const struct rs_sys *q = rs_sys_table; q->label; q++)
            if (!strcmp(q->label, p->label)) s = q;
        const struct rs_dev *d = 0;
        for (const struct rs_dev *q = rs_dev_table; q->label; q++)
            if (!strcmp(q->label, p->label)) d = q;
        rs_priv_table[i] = (struct rs_priv_entry){ p->label, p->flags, p->trap_mask, p->ipc,
            p->k_calls, p->vm_calls, p->priority, p->quantum, s->sys_flags, s->period,
            s->policy, s->binaries, s->sup, d };
    }
}

const struct rs_priv_entry *rs_priv_lookup(const char *label)
{
    for (const struct rs_priv_entry *e = rs_priv_table; e->label; e++)
        if (!strcmp(e->label, label)) return e;
    return 0;
}

/* A live update may only run an image registered for the label: anything
 * else would run foreign code with the service's endpoint and privileges. */
int rs_binary_allowed(const struct rs_priv_entry *e, const char *image)
{
    if (!strcmp(image, e->label)) return 1;
    size_t n = strlen(image);
    for (const char *p = e->binaries; p && *p; ) {
        while (*p == ' ') p++;
        const char *end = p;
        while (*end && *end != ' ') end++;
        if ((size_t)(end - p) == n && n && !strncmp(p, image, n)) return 1;
        p = end;
    }
    return 0;
}
