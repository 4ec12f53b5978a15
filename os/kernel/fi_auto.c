/* fi_auto.c - faults at the automatic basic-block sites (issue 12).
 *
 * Every basic block of the instrumented code starts with a 5-byte marker,
 * `cmp $rel32,%eax` (0x3D), that was a call to __sanitizer_cov_trace_pc
 * before faultinj/markers.py disarmed it. A slot whose site is "@ADDR"
 * names the marker at ADDR in the binary of the process slot.proc (or the
 * kernel's, proc "kernel"). While such a slot may still fire, this file
 * keeps the marker at ADDR a call (0xE8) in every process of that name,
 * including ones loaded later (restarts); otherwise a marker. So only the
 * armed block pays for a hook, and the rest of the system runs as built.
 *
 * When the hook decides to fire (trigger, K bound: kernel/fi.c's fire),
 * the fault types that act on an instruction (flip a branch, corrupt an
 * operand, skip a store, ...) plant a one-shot int3 at the slot's target
 * instruction, taddr, which the host found in the same basic block. The
 * process runs on into the block, traps there, and fi_auto_trap applies
 * the fault to the trapped registers, puts the byte back and lets it go
 * on: the fault happens once, at one instruction, and the guest alone
 * decides when. The kernel's own blocks work the same way, with the trap
 * taken in ring 0. */
#include "proc.h"
#include "memory.h"
#include "system.h"
#include "../include/fi.h"
#include "../include/fi_trigger.h"
#include "../include/fi_auto.h"

#if FAULTINJ
#define MARKER   0x3D
#define CALL     0xE8
#define INT3     0xCC

extern char __kernel_text_start[], __kernel_text_end[];
static const char *type_names[FI_NR_TYPES] = FI_TYPE_NAMES;

/* an int3 planted for slot i: where, in whom, and the byte it covers */
static struct { int live; struct proc *p; uint32_t addr; uint8_t orig; } planted[FI_SLOTS];

static int is_auto(const struct fi_slot *s) { return s->site[0] == '@'; }
static int is_kernel(const struct fi_slot *s) { return !strcmp(s->proc, "kernel"); }
int fi_auto_acts_on_insn(uint32_t type) { return type >= FI_FLIP_BRANCH && type <= FI_STUCK_LOOP; }

static uint32_t parse_hex(const char *s)
{
    uint32_t v = 0;
    for (; *s; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
                *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint32_t)d;
    }
    return v;
}

static int in_kernel_text(uint32_t a, uint32_t len)
{
    return a >= (uint32_t)__kernel_text_start && a + len <= (uint32_t)__kernel_text_end;
}

/* Read or write code bytes of p (NULL: the kernel) whatever the page's
 * write permission. */
static int code_read(struct proc *p, uint32_t a, void *buf, uint32_t len)
{
    if (!p) {
        if (!in_kernel_text(a, len)) return EFAULT;
        memcpy(buf, (void *)a, len);
        return OK;
    }
    return copy_from_user(p, a, buf, len);
}

static int code_write(struct proc *p, uint32_t a, const void *buf, uint32_t len)
{
    if (!p) {
        if (!in_kernel_text(a, len)) return EFAULT;
        memcpy((void *)a, buf, len);
        return OK;
    }
    return copy_to_image(p->pdir, a, buf, len);
}

/* Make the marker at the slot's site a call (on) or a marker (off) in p.
 * Only a byte that is one of the two is touched: an address that is not a
 * site of this binary is left alone and reported. */
static void set_marker(struct proc *p, const struct fi_slot *s, int on)
{
    uint32_t a = parse_hex(s->site + 1);
    uint8_t b, want = on ? CALL : MARKER;
    if (code_read(p, a, &b, 1) != OK || (b != MARKER && b != CALL)) {
        if (on) kevent("ev=fi_auto_bad proc=%s site=%s", p ? p->name : "kernel", s->site);
        return;
    }
    if (b != want) code_write(p, a, &want, 1);
}

static int wanted(const struct fi_slot *s)
{
    return s->active && is_auto(s) && s->fired < s->k && s->from_step <= fi_table.step;
}

static int live_proc(struct proc *p)
{
    return !(p->rts & RTS_SLOT_FREE) && p->pdir && p->nr >= 0;
}

/* Bring p's markers in line with the table (p NULL: the kernel's). */
void fi_auto_sync_proc(struct proc *p)
{
    for (int i = 0; i < FI_SLOTS; i++) {
        struct fi_slot *s = &fi_table.slot[i];
        if (!is_auto(s)) continue;
        if (p ? strcmp(s->proc, p->name) != 0 : !is_kernel(s)) continue;
        set_marker(p, s, wanted(s));
    }
}

/* After the table changed (plan, arm, disarm, step, a slot used up). */
void fi_auto_sync(void)
{
    fi_auto_sync_proc(0);
    for (int n = 0; n < NR_PROCS; n++) {
        struct proc *p = proc_addr(n);
        if (live_proc(p)) fi_auto_sync_proc(p);
    }
}

/* The hook fired slot i in p (NULL: the kernel): plant the trap at the
 * target instruction for the types that act there. */
void fi_auto_fired(int i, struct proc *p)
{
    struct fi_slot *s = &fi_table.slot[i];
    if (!is_auto(s) || !fi_auto_acts_on_insn(s->type)) return;
    uint8_t b, int3 = INT3;
    if (planted[i].live && planted[i].p == p && planted[i].addr == s->taddr) return;
    if (code_read(p, s->taddr, &b, 1) != OK) return;
    planted[i].live = 1;
    planted[i].p = p;
    planted[i].addr = s->taddr;
    planted[i].orig = b;
    code_write(p, s->taddr, &int3, 1);
}

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

/* Decode the jcc at a: its condition, length and target. 0 if none. */
static int decode_jcc(struct proc *p, uint32_t a, uint32_t *cc, uint32_t *len, uint32_t *target)
{
    uint8_t b[6];
    if (code_read(p, a, b, 2) != OK) return 0;
    if (b[0] >= 0x70 && b[0] <= 0x7f) {
        *cc = b[0] & 15; *len = 2;
        *target = a + 2 + (uint32_t)(int32_t)(int8_t)b[1];
        return 1;
    }
    if (b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f && code_read(p, a, b, 6) == OK) {
        int32_t rel;
        memcpy(&rel, b + 2, 4);
        *cc = b[1] & 15; *len = 6;
        *target = a + 6 + (uint32_t)rel;
        return 1;
    }
    return 0;
}

static void effect(int i, struct proc *p, const char *what, uint32_t before, uint32_t after)
{
    struct fi_slot *s = &fi_table.slot[i];
    kevent("ev=fi_effect slot=%d type=%s proc=%s pc=0x%x what=%s before=0x%x after=0x%x",
           i, type_names[s->type], p ? p->name : "kernel", planted[i].addr, what, before, after);
}

/* An int3 in p (NULL: in the kernel) at tf->eip - 1. Returns 1 if it was
 * a planted fault, now applied, and tf is ready to go on. */
int fi_auto_trap(struct proc *p, struct trapframe *tf)
{
    uint32_t at = tf->eip - 1;
    int i;
    for (i = 0; i < FI_SLOTS; i++)
        if (planted[i].live && planted[i].p == p && planted[i].addr == at) break;
    if (i == FI_SLOTS) return 0;
    planted[i].live = 0;
    struct fi_slot *s = &fi_table.slot[i];
    int user = p != 0;
    code_write(p, at, &planted[i].orig, 1);
    tf->eip = at;                                   /* by default: run it as it was */
    uint32_t reg = (s->opnd >> 4) & 15, *r;
    switch (s->type) {
    case FI_FLIP_BRANCH: {
        uint32_t cc, len, target;
        if (!decode_jcc(p, at, &cc, &len, &target)) { effect(i, p, "no_branch", 0, 0); break; }
        int taken = cond_holds(cc, tf->eflags);
        tf->eip = taken ? at + len : target;
        effect(i, p, taken ? "taken_to_fallthrough" : "fallthrough_to_taken",
               taken ? target : at + len, tf->eip);
        break;
    }
    case FI_SKIP_INSN:
    case FI_NO_STORE:
        tf->eip = at + s->tlen;
        effect(i, p, "skipped", at, tf->eip);
        break;
    case FI_NULL_PTR:
    case FI_CORRUPT_PTR:
        if (!(r = reg_of(tf, reg, user))) { effect(i, p, "no_register", 0, 0); break; }
        {
            uint32_t was = *r;
            *r = s->type == FI_NULL_PTR ? 0 : was ^ (1u << (s->arg & 31));
            effect(i, p, "pointer", was, *r);
        }
        break;
    case FI_CORRUPT_INT:
        if ((s->opnd & 15) == FI_OPND_REG) {
            if (!(r = reg_of(tf, reg, user))) { effect(i, p, "no_register", 0, 0); break; }
            uint32_t was = *r;
            *r = mutate(was, s->arg);
            effect(i, p, "register", was, *r);
        } else if ((s->opnd & 15) == FI_OPND_MEM) {
            uint32_t base = (s->opnd >> 8) & 15, index = (s->opnd >> 12) & 15, scale = (s->opnd >> 16) & 3;
            uint32_t ea = s->disp, *br = reg_of(tf, base, user), *ir = reg_of(tf, index, user);
            if (base != FI_REG_NONE) { if (!br) { effect(i, p, "no_register", 0, 0); break; } ea += *br; }
            if (index != FI_REG_NONE) { if (!ir) { effect(i, p, "no_register", 0, 0); break; } ea += *ir << scale; }
            uint32_t was, now;
            int ok = user ? copy_from_user(p, ea, &was, 4) == OK
                          : (ea < mem_bytes() - 4 ? (memcpy(&was, (void *)ea, 4), 1) : 0);
            if (!ok) { effect(i, p, "bad_address", ea, 0); break; }
            now = mutate(was, s->arg);
            if (user) ok = copy_to_user(p, ea, &now, 4) == OK;
            else memcpy((void *)ea, &now, 4);
            effect(i, p, ok ? "memory" : "bad_address", was, now);
        } else {
            effect(i, p, "no_operand", 0, 0);
        }
        break;
    case FI_STUCK_LOOP: {
        uint32_t cc, len, target;
        if (!decode_jcc(p, at, &cc, &len, &target)) { effect(i, p, "no_branch", 0, 0); break; }
        /* the jcc becomes a jmp to the same target, for good (this image) */
        uint8_t jmp[2] = { 0xeb, 0 };
        if (len == 2) code_write(p, at, jmp, 1);
        else { uint8_t b[2] = { 0x90, 0xe9 }; code_write(p, at, b, 2); }
        effect(i, p, "loop_stuck", at + len, target);
        break;
    }
    default:
        break;
    }
    return 1;
}

/* The kernel's hook: every instrumented kernel block calls it in the
 * golden build (counting), and only armed sites call it otherwise. */
struct fi_auto_count fi_auto_counts[FI_AUTO_COUNT_SLOTS];
uint32_t fi_auto_lost;
static struct fi_trigger_state ktrig;
int kfi_fire(int i, const char *site, struct proc *p);

void __sanitizer_cov_trace_pc(void)
{
    uint32_t site = (uint32_t)__builtin_return_address(0) - 5;
    fi_auto_count(fi_auto_counts, &fi_auto_lost, site);
    if (!fi_table.armed) return;
    char name[FI_NAME_MAX];
    fmt_snprintf(name, sizeof name, "@%x", site);
    for (int i = 0; i < FI_SLOTS; i++) {
        struct fi_slot *s = &fi_table.slot[i];
        if (!s->active || s->from_step > fi_table.step || !is_kernel(s) || strcmp(s->site, name)) continue;
        if (!fi_trigger_fires(&ktrig, i, s->trigger, s->n, s->prob, s->seed)) continue;
        uint32_t type = s->type;
        if (kfi_fire(i, name, 0) != OK) continue;
        if (fi_auto_acts_on_insn(type)) fi_auto_fired(i, 0);
        else if (type == FI_CRASH || type == FI_PANIC) panic("fault injected at kernel site %s", name);
        else if (type == FI_HANG) for (;;) __asm__ volatile(".rept 255\n\tnop\n\t.endr");
        else if (type == FI_DELAY) for (volatile uint32_t n = 0; n < (s->arg ? s->arg : 100) * 1000; n++) ;
        return;
    }
}
#endif /* FAULTINJ */
