/* fi.c - the kernel's side of fault injection: the control table (one
 * page, mapped read-only into every process at FI_TABLE_ADDR), the calls
 * that arm it and that hooks use to report firing, and the kernel's own
 * hooks in the IPC and kernel-call paths. The host may also write the
 * table directly through QEMU's GDB stub (symbol fi_table). */
#include "proc.h"
#include "memory.h"
#include "system.h"
#include "plan.h"
#include "../include/fi.h"
#include "../include/fi_trigger.h"

struct fi_table fi_table __attribute__((aligned(4096)));
_Static_assert(sizeof(struct fi_table) <= 4096, "fi table must fit a page");

static const char *type_names[FI_NR_TYPES] = FI_TYPE_NAMES;

/* The host's GDB stub client puts a hardware breakpoint here to arm faults
 * before any process runs: the table is in place, nothing has used it. */
void __attribute__((noinline, used)) fi_boot_hook(void)
{
    __asm__ volatile("" ::: "memory");
}

void fi_init(void)
{
    fi_table.magic = FI_MAGIC;
#if FAULTINJ
    extern uint32_t fi_ram_top;
    fi_ram_top = mem_bytes();
#endif
    fi_boot_hook();
}

int fi_map(uint32_t *pd)
{
    return pdir_map(pd, FI_TABLE_ADDR, (uint32_t)&fi_table, PTE_U | PTE_SHARED);
}

/* A site name's bit in fi_table.sites: the contract's hash, as fi.h's
 * FI_SITE_BIT folds it for a literal (over all FI_NAME_MAX bytes, padded
 * with NULs after the name). */
static uint32_t fi_site_bit(const char *name)
{
    uint32_t h = FI_SITE_HASH_BASIS;
    int end = 0;
    for (int i = 0; i < FI_NAME_MAX; i++) {
        uint32_t c = end ? 0 : (unsigned char)name[i];
        if (!c) end = 1;
        h = (h ^ c) * FI_SITE_HASH_PRIME;
    }
    return h % FI_SITE_BITS;
}

static void set_site_bit(const char *name)
{
    uint32_t b = fi_site_bit(name);
    fi_table.sites[b / 8] |= (uint8_t)(1u << (b % 8));
}

/* The bits a slot's site sets (the contract's rule): its own and its
 * group's "a.b.*" for a hand site, all of them for "*", none for an
 * automatic site "@ADDR" (an int3 does its work, no hook looks). */
static void set_slot_bits(const struct fi_slot *s)
{
    if (s->site[0] == '@') return;
    if (!strcmp(s->site, "*")) {
        memset(fi_table.sites, 0xff, sizeof fi_table.sites);
        return;
    }
    set_site_bit(s->site);
    size_t n = 0;                      /* the group's length before its '*' */
    for (size_t i = 0; s->site[i]; i++) if (s->site[i] == '.') n = i + 1;
    if (!n) return;
    char group[FI_NAME_MAX + 1];       /* "a.b." + "*": one byte past a name */
    memcpy(group, s->site, n);
    group[n] = '*';
    group[n + 1] = 0;
    if (n + 1 < FI_NAME_MAX) set_site_bit(group);
}

/* After any change of the slots: the count, the map of armed sites the
 * hooks test, and the generation. */
static void recount(void)
{
    uint32_t n = 0;
    memset(fi_table.sites, 0, sizeof fi_table.sites);
    for (int i = 0; i < FI_SLOTS; i++) {
        if (!fi_table.slot[i].active) continue;
        n++;
        set_slot_bits(&fi_table.slot[i]);
    }
    fi_table.armed = n;
    fi_table.generation++;
}

static int slot_valid(const struct fi_slot *s)
{
    if (s->type == 0 || s->type >= FI_NR_TYPES) return 0;
    if (s->trigger < FI_TRIG_NTH || s->trigger > FI_TRIG_PROB) return 0;
    if (s->trigger == FI_TRIG_PROB && s->prob > 1000000) return 0;
    if (s->k == 0) return 0;
    if (memchr(s->site, 0, sizeof s->site) == 0 || !s->site[0]) return 0;
    if (memchr(s->proc, 0, sizeof s->proc) == 0) return 0;
    return 1;
}

int do_fi_ctl(struct proc *caller, message *m)
{
    if (m->FI_OP == FI_OP_STEP) {
        /* the scenario reached a step: slots armed "from" it go live */
        if (m->FI_SLOT < 0 || (uint32_t)m->FI_SLOT < fi_table.step) return EINVAL;
        fi_table.step = (uint32_t)m->FI_SLOT;
        fi_table.generation++;
        kevent("ev=fi_step step=%d by=%s", m->FI_SLOT, caller->name);
        FI_AUTO_SYNC();
        return OK;
    }
    if (m->FI_OP == FI_OP_PLAN) return plan_take(caller, m->FI_ADDR, m->FI_LEN);
    if (m->FI_OP == FI_OP_DISARM) {
        int i = m->FI_SLOT;
        if (i < -1 || i >= FI_SLOTS) return EINVAL;
        for (int j = 0; j < FI_SLOTS; j++)
            if (i == -1 || i == j) fi_table.slot[j].active = 0;
        recount();
        kevent("ev=fi_disarm slot=%d by=%s", i, caller->name);
        FI_AUTO_SYNC();
        return OK;
    }
    if (m->FI_OP != FI_OP_ARM) return EINVAL;
    struct fi_slot s;
    if (copy_from_user(caller, m->FI_ADDR, &s, sizeof s) != OK) return EFAULT;
    if (!slot_valid(&s)) return EINVAL;
    for (int i = 0; i < FI_SLOTS; i++) {
        if (fi_table.slot[i].active) continue;
        s.active = 1;
        s.fired = 0;
        fi_table.slot[i] = s;
        recount();
        m->FI_SLOT = i;
        kevent("ev=fi_arm slot=%d site=%s type=%s proc=%s trigger=%u n=%u k=%u by=%s", i,
               s.site, type_names[s.type], s.proc[0] ? s.proc : "*", s.trigger, s.n, s.k,
               caller->name);
        FI_AUTO_SYNC();
        return OK;
    }
    return ENOSPC;
}

/* Count one firing of slot i at site (in p, or in the kernel's own code
 * when p is NULL); disarm it once it has fired k times. via says how the
 * hit was caught: "call" (a process's hand hook, SYS_FI_FIRE), "kernel" (a
 * hand site in the kernel), "int3" or "debugreg" (an automatic site,
 * fi_auto.c / fi_hwbp.c). */
int kfi_fire(int i, const char *site, struct proc *p, const char *via)
{
    struct fi_slot *s = &fi_table.slot[i];
    if (!s->active || s->fired >= s->k || s->from_step > fi_table.step) return EAGAIN;
    s->fired++;
    kevent("ev=fi_fired slot=%d site=%s type=%s proc=%s ep=%d fired=%u via=%s", i, site,
           type_names[s->type], p ? p->name : "kernel", p ? p->endpoint : NONE, s->fired, via);
    if (s->fired >= s->k) {
        s->active = 0;
        recount();
        FI_AUTO_SYNC();      /* an automatic site used up goes back to a marker */
    }
    return OK;
}

int do_fi_fire(struct proc *caller, message *m)
{
    int i = m->FI_SLOT;
    if (i < 0 || i >= FI_SLOTS) return EINVAL;
    struct fi_site d;
    char name[FI_NAME_MAX];
    /* the name must be the armed site's: read the caller's descriptor */
    if (copy_from_user(caller, m->FI_SITE_ADDR, &d, sizeof d) != OK ||
        copy_from_user(caller, (uint32_t)d.name, name, sizeof name) != OK)
        name[0] = 0;
    name[FI_NAME_MAX - 1] = 0;
    struct fi_slot *s = &fi_table.slot[i];
    if (strcmp(name, s->site) || (s->proc[0] && strcmp(s->proc, caller->name))) return EINVAL;
    return kfi_fire(i, name, caller, "call");
}

#if FAULTINJ
/* Kernel hooks: FI_ERROR in kernel code, on behalf of the current process. */
static struct fi_trigger_state trig;     /* the kernel is one hitter */
int32_t fi_fired_arg;

/* A site armed for process p: the current one (fi_hit_error), or, in the
 * IPC path, the receiver a message is being delivered to (FI_ERROR_FOR). */
int fi_hit_error_for(struct fi_site *site, struct proc *p)
{
    site->hits++;
    if (!p) return 0;
    for (int i = 0; i < FI_SLOTS; i++) {
        struct fi_slot *s = &fi_table.slot[i];
        if (!s->active || s->from_step > fi_table.step || strcmp(s->site, site->name)) continue;
        if (s->proc[0] && strcmp(s->proc, p->name)) continue;
        /* a type that cannot act at a kernel site (the contract's kinds)
         * never fires here: firing would claim a fault that did nothing */
        if (!FI_TYPE_AT(FI_TYPES_AT_KERNEL, s->type)) continue;
        int go = fi_trigger_fires(&trig, i, s->trigger, s->n, s->prob, s->seed);
        if (go && kfi_fire(i, site->name, p, "kernel") == OK) {
            fi_fired_arg = (int32_t)s->arg;
            return (int)s->type;
        }
    }
    return 0;
}

int fi_hit_error(struct fi_site *site) { return fi_hit_error_for(site, current); }

int fi_hit_point(struct fi_site *site) { return fi_hit_error(site); }
#endif /* FAULTINJ */
