/* fi.c - the user side of the compiled-in fault hooks. A hook that finds
 * the table armed comes here: match the armed slots against this site and
 * process, apply the trigger, ask the kernel to count the firing (so "K
 * times" holds across restarts), then do the fault. */
#include "../../include/fi.h"
#include "../../include/fi_trigger.h"
#include "../libsys/syslib.h"
#include "../libc/libc.h"
#include "../sef/sef.h"

#if FAULTINJ
#define TABLE ((volatile struct fi_table *)FI_TABLE_ADDR)
static char myname[PROC_NAME_LEN];
static struct fi_trigger_state trig;     /* this process instance's hits and draws */
extern char __data_start[], __data_end[];

static int vstrcmp(const volatile char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return (uint8_t)*a - (uint8_t)*b;
}

static int report(int i, struct fi_site *s)
{
    message m = {0};
    m.m_type = SYS_FI_FIRE;
    m.FI_SLOT = i;
    m.FI_SITE_ADDR = (uint32_t)s;
    return kernel_call(&m);
}

/* Which armed slot fires at this hit, or -1. */
static int check(struct fi_site *s, int want_error)
{
    s->hits++;
    if (TABLE->magic != FI_MAGIC) return -1;
    if (!myname[0]) {
        struct whoami w;
        if (sys_whoami(&w) != OK) return -1;
        strlcpy(myname, w.name, sizeof myname);
    }
    for (int i = 0; i < FI_SLOTS; i++) {
        volatile struct fi_slot *sl = &TABLE->slot[i];
        /* a hook fires only faults that act at its kind of site (the
         * contract's kinds): an EDFI type armed at a hand point site would
         * otherwise "fire" and do nothing */
        if (!sl->active || !FI_TYPE_AT(want_error ? FI_TYPES_AT_ERROR : FI_TYPES_AT_POINT,
                                       sl->type)) continue;
        if (sl->from_step > TABLE->step) continue;       /* not live yet */
        if (vstrcmp(sl->site, s->name)) continue;
        if (sl->proc[0] && vstrcmp(sl->proc, myname)) continue;
        /* hits are counted from the step the slot went live at, so
         * "the Nth hit" means the Nth after the scenario armed it */
        int go = fi_trigger_fires(&trig, i, sl->trigger, sl->n, sl->prob, sl->seed);
        if (go && report(i, s) == OK) return i;
    }
    return -1;
}

/* Spin for good, as a service stuck in a loop does. The body is one long
 * straight run so that QEMU executes it as one translated block: the same
 * instructions per virtual second as `jmp .`, at a hundredth of the host
 * time per instruction. A hang at an automatic site jumps here too (the
 * host gives the kernel this address: faultinj/autosites.py). */
void __attribute__((noreturn, used, noinline)) fi_spin(void)
{
    for (;;) __asm__ volatile(".rept 255\n\tnop\n\t.endr");
}

/* Busy for `units` of 6,000 guest instructions (6 us of virtual time
 * under -icount shift=0): the contract's delay (contract/guest_host.def),
 * the time a loop of a thousand iterations of six instructions took, as
 * it was written before. Run as straight lines of nops, like fi_spin, so
 * a long delay costs the host a hundredth of what the loop did (a delay
 * of 100,000 units took 0.4 s of a campaign's host time). Each round is
 * exactly 1,000 instructions: 998 nops, dec and jnz. */
static void fi_busy(uint32_t units)
{
    uint32_t rounds = units * 6;
    if (!rounds) return;
    __asm__ volatile("1:\n\t.rept 998\n\tnop\n\t.endr\n\tdec %0\n\tjnz 1b"
                     : "+r"(rounds) :: "cc");
}

static void flip_bit(uint32_t arg)
{
    uint32_t words = (uint32_t)(__data_end - __data_start) / 4;
    if (!words) return;
    uint32_t *w = (uint32_t *)__data_start + (arg >> 5) % words;
    *w ^= 1u << (arg & 31);
}

int fi_hit_point(struct fi_site *s)
{
    int slot = check(s, 0);
    if (slot < 0) return 0;
    int type = (int)TABLE->slot[slot].type;
    uint32_t arg = TABLE->slot[slot].arg;
    switch (type) {
    case FI_CRASH: { volatile int *volatile p = 0; *p = 0xbad; break; }
    case FI_PANIC:
        /* a service panic ends the process, as panic() does in MINIX */
        printf("%s: panic: fault injected at %s\n", myname, s->name);
        sys_exit_proc(SELF);
        break;
    case FI_HANG: fi_spin();
    case FI_DEADLOCK: {
        /* IDLE never sends: blocked for good, burning no CPU, like a
         * service caught in a deadlock */
        message m;
        for (;;) ipc_receive(IDLE, &m);
    }
    case FI_STALE_PING: sef_setcb_ping_reply(sef_cb_ping_reply_null); break;
    case FI_DELAY: fi_busy(arg ? arg : 100); break;
    case FI_BITFLIP: flip_bit(arg); break;
    default: break;
    }
    return type;
}

int32_t fi_fired_arg;

int fi_hit_error(struct fi_site *s)
{
    int slot = check(s, 1);
    fi_fired_arg = slot < 0 ? 0 : (int32_t)TABLE->slot[slot].arg;
    return slot < 0 ? 0 : (int)TABLE->slot[slot].type;
}
#endif /* FAULTINJ */
