/* fi_auto.c - faults at the automatic basic-block sites (issue 12).
 *
 * The fi_blocks GCC plugin (os/plugin/fi_blocks.cc) records the address of
 * the start of every basic block of the kernel, libsys, SEF and every
 * server in the ELF section .fi_blocks, without emitting any instruction:
 * a disarmed site costs nothing. A slot whose site is "@ADDR" names the
 * site at ADDR in the binary of the processes named slot.proc (the
 * kernel's own code for proc "kernel").
 *
 * While such a slot may fire, an int3 sits at ADDR in every process of
 * that name, including ones loaded later (restarts). Each hit traps here:
 * the byte is put back, the trigger decides, and the process single-steps
 * that one instruction (TF) so the int3 can go back in behind it. The
 * golden run uses the same mechanism on every site of every binary
 * (fi_golden_sites, written by the host) to count how often each runs.
 *
 * When a slot fires, the fault types that act on an instruction (flip a
 * branch, corrupt an operand, skip a store, ...) apply at its target
 * instruction, taddr, which the host found in the block: at once if it is
 * the site's own instruction, else through a one-shot int3 there. crash
 * sends the process to address 0 (a wild jump); hang makes the site a
 * `jmp .` in this image. In the kernel both are a panic or a spin.
 *
 * The trap paths never call instrumented code: they copy bytes with their
 * own page walk, so no int3 can be hit while one is handled. */
#include "proc.h"
#include "memory.h"
#include "system.h"
#include "contain.h"
#include "../include/fi.h"
#include "../include/fi_trigger.h"

#if FAULTINJ
#define INT3     0xCC
#define EFL_TF   0x100
/* a golden site hit this often moves to a debug register (fi_hwbp.c) */
#define FI_HOT_HITS 4096

extern char __kernel_text_start[], __kernel_text_end[];
static const char *type_names[FI_NR_TYPES] = FI_TYPE_NAMES;

/* the golden run's sites, written by the host (contract: fi_golden_site) */
struct fi_golden_site fi_golden_sites[FI_GOLDEN_MAX];
uint32_t fi_golden_nr;
char fi_golden_bins[FI_GOLDEN_BINS][FI_GOLDEN_NAME];

/* per slot: the byte under the site's int3, once read */
static struct { int known; uint8_t orig; } site_orig[FI_SLOTS];
/* a one-shot int3 planted at slot i's target instruction */
static struct { int live; struct proc *p; uint32_t addr; uint8_t orig; } planted[FI_SLOTS];
/* who is single-stepping over a site, to put its int3 back (p NULL: the
 * kernel, kept in slot NR_PROCS) */
static uint32_t stepping[NR_PROCS + 1];
static struct fi_trigger_state ktrig;    /* NTH counts every instance of a binary */
uint32_t fi_ram_top;                     /* set at boot: mem_bytes() is instrumented */

int kfi_fire(int i, const char *site, struct proc *p, const char *via);

/* The address an automatic site's name "@HEX" gives, 0 if none. */
static uint32_t fi_site_addr(const char *s)
{
    uint32_t v = 0;
    if (*s++ != '@') return 0;
    for (; *s; s++) {
        char c = *s;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint32_t)d;
    }
    return v;
}

static int is_auto(const struct fi_slot *s) { return s->site[0] == '@'; }
int fi_auto_acts_on_insn(uint32_t type) { return type >= FI_FLIP_BRANCH && type <= FI_STUCK_LOOP; }
static const char *name_of(struct proc *p) { return p ? p->name : "kernel"; }


/* Physical address of byte va of p's image whatever its write permission
 * (translate() without calling memory.c: it is instrumented). */
static uint8_t *image_byte(struct proc *p, uint32_t va)
{
    if (!p) {
        if (va < (uint32_t)__kernel_text_start || va >= (uint32_t)__kernel_text_end) return 0;
        return (uint8_t *)va;
    }
    if (va < USER_BASE || va >= USER_TOP || !p->pdir) return 0;
    uint32_t pde = p->pdir[va >> 22];
    if ((pde & (PTE_P | PTE_U)) != (PTE_P | PTE_U)) return 0;
    uint32_t pte = ((uint32_t *)(pde & ~0xfffu))[(va >> 12) & 0x3ff];
    if ((pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U)) return 0;
    return (uint8_t *)((pte & ~0xfffu) | (va & 0xfff));
}

static int code_read(struct proc *p, uint32_t a, uint8_t *buf, uint32_t len)
{
    for (uint32_t n = 0; n < len; n++) {
        uint8_t *b = image_byte(p, a + n);
        if (!b) return EFAULT;
        buf[n] = *b;
    }
    return OK;
}

static int code_write(struct proc *p, uint32_t a, const uint8_t *buf, uint32_t len)
{
    for (uint32_t n = 0; n < len; n++)
        if (!image_byte(p, a + n)) return EFAULT;
    for (uint32_t n = 0; n < len; n++) *image_byte(p, a + n) = buf[n];
    return OK;
}

/* data words for corrupt_int's memory operand: user pages must be
 * writable by the process, kernel addresses must be RAM */
static uint32_t *data_word(struct proc *p, uint32_t va)
{
    if (!p) return va >= 0x1000 && va + 4 <= fi_ram_top ? (uint32_t *)va : 0;
    if ((va & 0xfff) > 0xffc) return 0;
    uint8_t *b = image_byte(p, va);
    return b ? (uint32_t *)b : 0;
}

/* ---- which sites want an int3 ---- */

static int slot_wanted(const struct fi_slot *s)
{
    return s->active && is_auto(s) && s->fired < s->k && s->from_step <= fi_table.step;
}

static struct fi_golden_site *golden_find(const char *name, uint32_t addr)
{
    if (!fi_golden_nr || !fi_table.step) return 0;
    uint32_t bin;
    for (bin = 0; bin < FI_GOLDEN_BINS; bin++)
        if (fi_golden_bins[bin][0] && !strcmp(fi_golden_bins[bin], name)) break;
    if (bin == FI_GOLDEN_BINS) return 0;
    uint32_t lo = 0, hi = fi_golden_nr < FI_GOLDEN_MAX ? fi_golden_nr : FI_GOLDEN_MAX;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        struct fi_golden_site *g = &fi_golden_sites[mid];
        if (g->bin < bin || (g->bin == bin && g->addr < addr)) lo = mid + 1;
        else hi = mid;
    }
    if (lo < FI_GOLDEN_MAX && fi_golden_sites[lo].bin == bin && fi_golden_sites[lo].addr == addr)
        return &fi_golden_sites[lo];
    return 0;
}

static int site_wanted(const char *name, uint32_t addr)
{
    if (golden_find(name, addr)) return 1;
    for (int i = 0; i < FI_SLOTS; i++) {
        struct fi_slot *s = &fi_table.slot[i];
        if (slot_wanted(s) && !strcmp(s->proc, name) && fi_site_addr(s->site) == addr) return 1;
    }
    return 0;
}

/* ---- planting ---- */

static void plant(struct proc *p, uint32_t a, int slot)
{
    uint8_t b, int3 = INT3;
    if (code_read(p, a, &b, 1) != OK) {
        if (slot >= 0) kevent("ev=fi_auto_bad proc=%s site=%s", name_of(p), fi_table.slot[slot].site);
        return;
    }
    if (b == INT3) return;
    if (slot >= 0 && !site_orig[slot].known) { site_orig[slot].known = 1; site_orig[slot].orig = b; }
    code_write(p, a, &int3, 1);
}

static void unplant(struct proc *p, uint32_t a, uint8_t orig)
{
    uint8_t b;
    if (code_read(p, a, &b, 1) == OK && b == INT3) code_write(p, a, &orig, 1);
}

/* Wanted slot i's site watched by a debug register (fi_hwbp.c) rather
 * than an int3: while one is free, except in the golden run, whose int3
 * at every site counts the same addresses. */
static int hw_watched(int i, const struct fi_slot *s)
{
    if (fi_golden_nr) {
        fi_hwbp_release(i);
        return 0;
    }
    return fi_hwbp_take(i, fi_site_addr(s->site));
}

/* Bring p's int3s in line with the table (p NULL: the kernel's). */
void fi_auto_sync_proc(struct proc *p)
{
    const char *name = name_of(p);
    for (int i = 0; i < FI_SLOTS; i++) {
        struct fi_slot *s = &fi_table.slot[i];
        if (!is_auto(s) || strcmp(s->proc, name)) continue;
        uint32_t a = fi_site_addr(s->site);
        if (slot_wanted(s) && !hw_watched(i, s)) plant(p, a, i);
        else if (site_orig[i].known && !golden_find(name, a)) unplant(p, a, site_orig[i].orig);
    }
    if (fi_golden_nr && fi_table.step) {
        uint32_t n = fi_golden_nr < FI_GOLDEN_MAX ? fi_golden_nr : FI_GOLDEN_MAX;
        for (uint32_t k = 0; k < n; k++) {
            struct fi_golden_site *g = &fi_golden_sites[k];
            if (g->bin < FI_GOLDEN_BINS && !strcmp(fi_golden_bins[g->bin], name) &&
                !fi_hwbp_counts(name, g->addr))
                plant(p, g->addr, -1);
        }
    }
}

/* SYS_UPDATE swapped what slots a and b run: an int3 planted in an image,
 * and a step over a site, follow the image to its new slot. */
void fi_auto_swap(struct proc *a, struct proc *b)
{
    for (int i = 0; i < FI_SLOTS; i++) {
        if (planted[i].p == a) planted[i].p = b;
        else if (planted[i].p == b) planted[i].p = a;
    }
    if (a->nr >= 0 && b->nr >= 0) {
        uint32_t t = stepping[a->nr];
        stepping[a->nr] = stepping[b->nr];
        stepping[b->nr] = t;
    }
}

static int live_proc(struct proc *p)
{
    return !(p->rts & RTS_SLOT_FREE) && p->pdir && p->nr >= 0;
}

/* After the table changed (plan, arm, disarm, step, a slot used up). */
void fi_auto_sync(void)
{
    for (int i = 0; i < FI_SLOTS; i++)
        if (!slot_wanted(&fi_table.slot[i])) fi_hwbp_release(i);
    fi_auto_sync_proc(0);
    for (int n = 0; n < NR_PROCS; n++) {
        struct proc *p = proc_addr(n);
        if (live_proc(p)) fi_auto_sync_proc(p);
    }
    fi_quiet_update();               /* the golden run's sites come without a new generation */
}

/* ---- applying a fault ---- */

/* x86 condition code cc (the low nibble of a jcc) under eflags */
static int cond_holds(uint32_t cc, uint32_t fl)
{
    int cf = fl & 1, zf = (fl >> 6) & 1, sf = (fl >> 7) & 1, of = (fl >> 11) & 1, pf = (fl >> 2) & 1;
    int r;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || sf != of; break;
    }
    return (cc & 1) ? !r : r;
}

static uint32_t *reg_of(struct trapframe *tf, uint32_t n, int from_user)
{
    switch (n) {
    case 0: return &tf->eax;
    case 1: return &tf->ecx;
    case 2: return &tf->edx;
    case 3: return &tf->ebx;
    case 4: return from_user ? &tf->esp : 0;   /* ring 0 pushed no esp */
    case 5: return &tf->ebp;
    case 6: return &tf->esi;
    case 7: return &tf->edi;
    default: return 0;
    }
}

static uint32_t mutate(uint32_t v, uint32_t arg)
{
    if (arg == 32) return v + 1;
    if (arg == 33) return v - 1;
    return v ^ (1u << (arg & 31));
}

/* Decode the jcc at a (its first byte may be an int3: orig0 is the real
 * one): its condition, length and target. 0 if none. */
static int decode_jcc(struct proc *p, uint32_t a, uint8_t orig0, uint32_t *cc, uint32_t *len,
                      uint32_t *target)
{
    uint8_t b[6];
    if (code_read(p, a, b, 2) != OK) return 0;
    b[0] = orig0;
    if (b[0] >= 0x70 && b[0] <= 0x7f) {
        *cc = b[0] & 15; *len = 2;
        *target = a + 2 + (uint32_t)(int32_t)(int8_t)b[1];
        return 1;
    }
    if (b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f && code_read(p, a + 2, b + 2, 4) == OK) {
        int32_t rel;
        memcpy(&rel, b + 2, 4);
        *cc = b[1] & 15; *len = 6;
        *target = a + 6 + (uint32_t)rel;
        return 1;
    }
    return 0;
}

static void effect(int i, struct proc *p, uint32_t at, const char *what, uint32_t before,
                   uint32_t after)
{
    struct fi_slot *s = &fi_table.slot[i];
    kevent("ev=fi_effect slot=%d type=%s proc=%s pc=0x%x what=%s before=0x%x after=0x%x",
           i, type_names[s->type], name_of(p), at, what, before, after);
}

/* Apply slot i's instruction-level fault to the instruction at `at`,
 * about to run with frame tf (tf->eip == at; its first byte is orig0). */
static void apply_insn_fault(int i, struct proc *p, struct trapframe *tf, uint32_t at, uint8_t orig0)
{
    struct fi_slot *s = &fi_table.slot[i];
    int user = p != 0;
    uint32_t reg = (s->opnd >> 4) & 15, *r;
    switch (s->type) {
    case FI_FLIP_BRANCH: {
        uint32_t cc, len, target;
        if (!decode_jcc(p, at, orig0, &cc, &len, &target)) { effect(i, p, at, "no_branch", 0, 0); break; }
        int taken = cond_holds(cc, tf->eflags);
        tf->eip = taken ? at + len : target;
        effect(i, p, at, taken ? "taken_to_fallthrough" : "fallthrough_to_taken",
               taken ? target : at + len, tf->eip);
        break;
    }
    case FI_SKIP_INSN:
    case FI_NO_STORE:
        tf->eip = at + s->tlen;
        effect(i, p, at, "skipped", at, tf->eip);
        break;
    case FI_NULL_PTR:
    case FI_CORRUPT_PTR:
        if (!(r = reg_of(tf, reg, user))) { effect(i, p, at, "no_register", 0, 0); break; }
        {
            uint32_t was = *r;
            *r = s->type == FI_NULL_PTR ? 0 : was ^ (1u << (s->arg & 31));
            effect(i, p, at, "pointer", was, *r);
        }
        break;
    case FI_CORRUPT_INT:
        if ((s->opnd & 15) == FI_OPND_REG) {
            if (!(r = reg_of(tf, reg, user))) { effect(i, p, at, "no_register", 0, 0); break; }
            uint32_t was = *r;
            *r = mutate(was, s->arg);
            effect(i, p, at, "register", was, *r);
        } else if ((s->opnd & 15) == FI_OPND_MEM) {
            uint32_t base = (s->opnd >> 8) & 15, index = (s->opnd >> 12) & 15, scale = (s->opnd >> 16) & 3;
            uint32_t ea = s->disp, *br = reg_of(tf, base, user), *ir = reg_of(tf, index, user);
            if (base != FI_REG_NONE) { if (!br) { effect(i, p, at, "no_register", 0, 0); break; } ea += *br; }
            if (index != FI_REG_NONE) { if (!ir) { effect(i, p, at, "no_register", 0, 0); break; } ea += *ir << scale; }
            uint32_t *w = data_word(p, ea);
            if (!w) { effect(i, p, at, "bad_address", ea, 0); break; }
            uint32_t was = *w;
            *w = mutate(was, s->arg);
            effect(i, p, at, "memory", was, *w);
        } else {
            effect(i, p, at, "no_operand", 0, 0);
        }
        break;
    case FI_STUCK_LOOP: {
        uint32_t cc, len, target;
        if (!decode_jcc(p, at, orig0, &cc, &len, &target)) { effect(i, p, at, "no_branch", 0, 0); break; }
        /* the jcc becomes a jmp to the same target, for good (this image) */
        if (len == 2) { uint8_t j = 0xeb; code_write(p, at, &j, 1); }
        else { uint8_t j[2] = { 0x90, 0xe9 }; code_write(p, at, j, 2); }
        effect(i, p, at, "loop_stuck", at + len, target);
        break;
    }
    default:
        break;
    }
}

/* Slot i fired at its site `at` in p: do its fault. */
static void fire_at_site(int i, struct proc *p, struct trapframe *tf, uint32_t at, uint8_t orig0)
{
    struct fi_slot *s = &fi_table.slot[i];
    if (fi_auto_acts_on_insn(s->type)) {
        if (s->taddr == at) { apply_insn_fault(i, p, tf, at, orig0); return; }
        uint8_t b, int3 = INT3;
        if (code_read(p, s->taddr, &b, 1) != OK) { effect(i, p, s->taddr, "bad_target", 0, 0); return; }
        planted[i].live = 1;
        planted[i].p = p;
        planted[i].addr = s->taddr;
        planted[i].orig = b;
        code_write(p, s->taddr, &int3, 1);
        return;
    }
    if (!p) {
        /* the kernel hangs with its clock running: the watchdog ends the
         * run at its virtual-time limit */
        if (s->type == FI_HANG) { effect(i, p, at, "spin", at, at); for (;;) __asm__ volatile("sti; hlt; cli"); }
        /* crash: the kernel takes a fatal exception here; in a call's path
         * that call fails (contain.c), anywhere else it is a panic */
        contain_fault(tf, "crash");
        panic("fault injected at kernel site %s", s->site);
    }
    if (s->type == FI_HANG) {
        /* the process spins for good from here: in its fi_spin when the
         * host named it (taddr), else in a `jmp .` put at the site */
        if (s->taddr) {
            tf->eip = s->taddr;
        } else {
            uint8_t spin[2] = { 0xeb, 0xfe };
            code_write(p, at, spin, 2);
        }
        effect(i, p, at, "spin", at, tf->eip);
    } else {
        /* crash: a wild jump to address 0 */
        effect(i, p, at, "wild_jump", at, 0);
        tf->eip = 0;
    }
}

/* An int3 in p (NULL: in the kernel) at tf->eip - 1. Returns 1 if it was
 * one of ours, handled, and tf is ready to go on. */
int fi_auto_trap(struct proc *p, struct trapframe *tf)
{
    uint32_t at = tf->eip - 1;
    const char *name = name_of(p);
    /* a one-shot trap at a fired slot's target instruction */
    for (int i = 0; i < FI_SLOTS; i++) {
        if (!planted[i].live || planted[i].p != p || planted[i].addr != at) continue;
        planted[i].live = 0;
        code_write(p, at, &planted[i].orig, 1);
        tf->eip = at;
        apply_insn_fault(i, p, tf, at, planted[i].orig);
        return 1;
    }
    /* a site: golden counting and armed slots */
    struct fi_golden_site *g = golden_find(name, at);
    int match[FI_SLOTS], nm = 0;
    for (int i = 0; i < FI_SLOTS; i++) {
        struct fi_slot *s = &fi_table.slot[i];
        if (slot_wanted(s) && !strcmp(s->proc, name) && fi_site_addr(s->site) == at && site_orig[i].known)
            match[nm++] = i;
    }
    if (!g && !nm) return 0;
    uint8_t orig = g ? (uint8_t)g->orig : site_orig[match[0]].orig;
    code_write(p, at, &orig, 1);
    tf->eip = at;
    if (g) g->hits++;
    if (g && !nm && g->hits == FI_HOT_HITS && fi_hwbp_take_golden(g, fi_golden_bins[g->bin])) {
        /* a hot site: a debug register counts it from here, the int3 out
         * (put back above in p, and in any other instance of the binary);
         * RF: this execution is counted already */
        for (int n = 0; p && n < NR_PROCS; n++) {
            struct proc *q = proc_addr(n);
            if (q != p && live_proc(q) && !strcmp(q->name, name)) unplant(q, at, orig);
        }
        kevent("ev=fi_golden_hot proc=%s site=@%x hits=%u", name, at, g->hits);
        tf->eflags |= EFL_RF;
        return 1;
    }
    for (int k = 0; k < nm; k++) {
        int i = match[k];
        struct fi_slot *s = &fi_table.slot[i];
        if (!fi_trigger_fires(&ktrig, i, s->trigger, s->n, s->prob, s->seed)) continue;
        if (kfi_fire(i, s->site, p, "int3") != OK) continue;
        fire_at_site(i, p, tf, at, orig);
        break;
    }
    /* step over the instruction, then put the int3 back (fi_auto_step) */
    if (tf->eip == at && site_wanted(name, at)) {
        tf->eflags |= EFL_TF;
        stepping[p ? p->nr : NR_PROCS] = at;
    }
    return 1;
}

/* Slot i's debug register caught p (NULL: the kernel) at the site,
 * tf->eip (fi_hwbp.c): the trigger decides, as for an int3, with the
 * code untouched. */
void fi_auto_hw_hit(int i, struct proc *p, struct trapframe *tf)
{
    struct fi_slot *s = &fi_table.slot[i];
    uint32_t at = tf->eip;
    uint8_t orig;
    if (!slot_wanted(s) || strcmp(s->proc, name_of(p)) || fi_site_addr(s->site) != at) return;
    if (!fi_trigger_fires(&ktrig, i, s->trigger, s->n, s->prob, s->seed)) return;
    if (code_read(p, at, &orig, 1) != OK || kfi_fire(i, s->site, p, "debugreg") != OK) return;
    fire_at_site(i, p, tf, at, orig);
}

/* A single-step trap in p (NULL: the kernel). Returns 1 if it was ours. */
int fi_auto_step(struct proc *p, struct trapframe *tf)
{
    int k = p ? p->nr : NR_PROCS;
    if (k < 0 || k > NR_PROCS || !stepping[k]) return 0;
    uint32_t at = stepping[k];
    stepping[k] = 0;
    tf->eflags &= ~EFL_TF;
    if (site_wanted(name_of(p), at) && !fi_hwbp_counts(name_of(p), at)) plant(p, at, -1);
    return 1;
}
#endif /* FAULTINJ */
