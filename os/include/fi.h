/* fi.h - compiled-in fault injection hooks and the fault control table.
 *
 * FI_POINT("site") marks a place where a process-level fault (crash, panic,
 * hang, delay, bit flip, stale ping) may be made to happen; FI_ERROR("site")
 * is an expression that is non-zero when the site is armed to fail, so the
 * code around it takes its real error path (error return, message drop,
 * init failure, live-update prepare timeout). Each site is a static
 * descriptor in the ELF section "fi_sites" (name, file, line, hit count),
 * so the host lists every site from the ELF files alone.
 *
 * The control table is one page the kernel owns. Every system process sees
 * it read-only at FI_TABLE_ADDR; the host writes it through the GDB stub
 * (kernel symbol fi_table), or a process with the SYS_FI call arms it
 * (`service fi`). Arming a slot also sets its site's bit in the table's
 * map of armed sites (contract/guest_host.def, FI_SITE_BITS), and a hook
 * tests only its own bit, a constant the compiler folds from the name: a
 * hook costs one load and one branch unless its own site is armed, however
 * many faults are armed elsewhere. Built with FAULTINJ=0 every hook
 * compiles to nothing and the section is absent. */
#ifndef OS_FI_H
#define OS_FI_H
#include <stdint.h>

/* The table's address and size, the fault types (FI_CRASH ... and
 * FI_TYPE_NAMES), the triggers and FI_MAGIC are the host's too: defined
 * once in contract/guest_host.def, generated into contract.h. */
#include "contract.h"

#define FI_PLAN_MAX    256             /* bytes of an experiment's plan (kernel/plan.c) */

struct fi_slot {
    uint32_t active;
    uint32_t type;
    uint32_t trigger;
    uint32_t n;                 /* NTH: which hit */
    uint32_t k;                 /* how many times it may fire in all */
    uint32_t prob;              /* PROB: parts per million */
    uint32_t seed;
    uint32_t arg;               /* DELAY: kilo-iterations; BITFLIP: bit */
    uint32_t fired;             /* written by the kernel only */
    uint32_t from_step;         /* live only once the scenario reached this step */
    char     site[FI_NAME_MAX]; /* site name */
    char     proc[FI_PROC_MAX];   /* only in this process ("" = any) */
    /* automatic sites only (site "@ADDR"): the instruction the fault acts
     * on, its length and operand (FI_OPND_*), and a memory operand's
     * displacement; the host reads them from the ELF */
    uint32_t taddr;
    uint32_t tlen;
    uint32_t opnd;
    uint32_t disp;
};

struct fi_table {
    uint32_t magic;             /* FI_MAGIC once the kernel set it up */
    uint32_t armed;             /* number of active slots */
    uint32_t generation;        /* bumped on every change */
    uint32_t step;              /* scenario step reached (SYS_FI_CTL FI_OP_STEP) */
    /* bit FI_SITE_BIT(name) set while a slot names the site (or its group
     * "a.b.*", or "*"): what the hooks test, see the contract */
    uint8_t  sites[FI_SITE_BITS / 8];
    struct fi_slot slot[FI_SLOTS];
};

/* The golden run's automatic sites (kernel/fi_auto.c): written by the host
 * at the plan point, sorted by (bin, addr); the kernel plants an int3 at
 * each in every process of binary fi_golden_bins[bin] from step 1 on and
 * counts its hits. */
struct fi_golden_site {
    uint32_t addr;
    uint32_t orig;              /* the byte the int3 covers, from the ELF */
    uint32_t bin;
    uint32_t hits;
};

/* one descriptor per site, in section fi_sites (24 bytes, see faultinj) */
struct fi_site {
    const char *name;
    const char *file;
    uint32_t    line;
    uint32_t    hits;
    uint32_t    kind;           /* 0 = point, 1 = error */
    uint32_t    bit;            /* FI_SITE_BIT(name): the host checks its hash against it */
};

/* A site name's bit in fi_table.sites (the contract's FNV-1a over the
 * name's FI_NAME_MAX bytes, NUL-padded), written out so that the compiler
 * folds it to a constant for a string literal: a hook's test is one
 * `testb $mask, addr`. The kernel computes the same at run time when it
 * arms (kernel/fi.c fi_site_bit), the host in faultinj/arming.py. */
#define FI_CH_(s, i) ((i) < sizeof(s) ? (uint32_t)(unsigned char)(s)[(i) < sizeof(s) ? (i) : 0] : 0u)
#define FI_H1_(s, i, h) ((((uint32_t)(h)) ^ FI_CH_(s, i)) * (uint32_t)FI_SITE_HASH_PRIME)
#define FI_H4_(s, i, h) FI_H1_(s, (i) + 3, FI_H1_(s, (i) + 2, FI_H1_(s, (i) + 1, FI_H1_(s, i, h))))
#define FI_H16_(s, i, h) FI_H4_(s, (i) + 12, FI_H4_(s, (i) + 8, FI_H4_(s, (i) + 4, FI_H4_(s, i, h))))
#define FI_SITE_HASH(s) FI_H16_(s, 16, FI_H16_(s, 0, FI_SITE_HASH_BASIS))
#define FI_SITE_BIT(s) (FI_SITE_HASH(s) % (uint32_t)FI_SITE_BITS)
_Static_assert(FI_NAME_MAX == 32, "FI_SITE_HASH is written out for 32-byte names");

#if FAULTINJ
int fi_hit_point(struct fi_site *s);
int fi_hit_error(struct fi_site *s);
#ifdef __KERNEL_BUILD__
extern struct fi_table fi_table;
#define FI_SITES_ (fi_table.sites)
#else
#define FI_SITES_ (((volatile struct fi_table *)FI_TABLE_ADDR)->sites)
#endif
/* Is site nm (a string literal) armed, as far as its bit says? The bit is
 * a static const so that it is computed at compile time whatever the
 * optimization (-O0 in the coverage build): -O2 makes it an immediate. */
#define FI_SITE_ARMED(nm) __extension__ ({ \
        static const uint32_t fi_bit_ = FI_SITE_BIT(nm); \
        __builtin_expect((FI_SITES_[fi_bit_ / 8] >> (fi_bit_ % 8)) & 1u, 0); })
/* "" nm "": the name must be a string literal (its bit is folded from it)
 * and fit a slot's site field */
#define FI_SITE_DECL(nm, kd) \
    _Static_assert(sizeof(nm) <= FI_NAME_MAX, "fault site name too long: " nm); \
    static struct fi_site __attribute__((section("fi_sites"), used, aligned(4))) \
        _fi_site_##kd = { "" nm "", __FILE__, __LINE__, 0, kd, FI_SITE_BIT(nm) }
#define FI_POINT(nm) do { FI_SITE_DECL(nm, 0); \
        if (FI_SITE_ARMED(nm)) fi_hit_point(&_fi_site_0); } while (0)
#define FI_ERROR(nm) __extension__ ({ FI_SITE_DECL(nm, 1); \
        FI_SITE_ARMED(nm) ? fi_hit_error(&_fi_site_1) : 0; })
#ifdef __KERNEL_BUILD__
/* Kernel only: an FI_ERROR site armed for process p rather than for the
 * current one (the IPC path's receive side acts for the receiver). */
struct proc;
int fi_hit_error_for(struct fi_site *s, struct proc *p);
/* Is any site of the kernel's IPC path (group "kernel.ipc.*") armed?
 * ipc_entry.c runs the instrumented copy of ipc.c only then, and there a
 * group of sites looks once before each tests its own bit. */
#define FI_ANY_ARMED() FI_SITE_ARMED("kernel.ipc.*")
#define FI_ERROR_FOR(nm, p) __extension__ ({ FI_SITE_DECL(nm, 1); \
        FI_SITE_ARMED(nm) ? fi_hit_error_for(&_fi_site_1, (p)) : 0; })
#endif
/* The error an FI_ERROR site that just fired returns: the slot's arg when
 * it gives one (a negative error number, as the spec's arg= says), else the
 * site's own dflt. */
extern int32_t fi_fired_arg;
#define FI_ERRNO(dflt) (fi_fired_arg ? (int)fi_fired_arg : (dflt))
#else
#define FI_POINT(nm) do { } while (0)
#define FI_ERROR(nm) 0
#define FI_ERROR_FOR(nm, p) ((void)(p), 0)
#define FI_ANY_ARMED() 0
#define FI_ERRNO(dflt) (dflt)
#endif

#endif
