/* contain.c - a fault the kernel takes while serving one process's kernel
 * call or IPC fails that call, not the system.
 *
 * Why a recovery point and not a per-instruction fixup table: the faults
 * to contain come from anywhere in a call's path (a corrupted pointer in a
 * copy, a skipped bounds check, a wild jump), not only from the few
 * instructions that touch user memory, so a table of "faulting address ->
 * fixup" entries would cover almost none of them. Every call starts at the
 * same place on the one kernel stack with nothing of the kernel's held
 * (no locks; interrupts stay off until the kernel leaves), so one context
 * saved there (trap.c, __builtin_setjmp) is a point the kernel can always
 * go back to: landing there drops the faulting frames and nothing else.
 *
 * What is not undone is whatever the call changed before it faulted. So a
 * containment is trusted only after a consistency check of the kernel's
 * own structures (kcheck.c) passes; a broken invariant is a panic (a
 * corrupted kernel must never be trusted silently), but for the run
 * queues, which are rebuilt from the process table and checked again
 * (check_after_fault), with an event saying so. Then the caller's
 * fate, by what the call may have done before it faulted:
 *  - nothing yet: an IPC that changed no process's state (set_rts and
 *    clear_rts, through which every delivery, queueing and blocking goes,
 *    mark it committed; an interrupt taken inside the call does not), a
 *    kernel call that faulted before its handler, or one whose handler
 *    only reads or copies (GETINFO, TIMES, VIRCOPY, SETALARM; DIAGCTL
 *    before any output went out): it is restarted, as Unix restarts an
 *    interrupted call (the caller's `int` runs again), once; a second
 *    fault in a row fails it;
 *  - a kernel call that faulted writing its answer (it took effect) gets
 *    that answer written again from the copy kept (contain_reply);
 *  - else a kernel call fails with EFAULT, answered like any refused call;
 *    so does an IPC whose caller is in a clean state (runnable, in no
 *    queue, no half of a sendrec pending);
 *  - else whether its message went out is unknown, and the caller is
 *    ended through its signal manager (RS restarts a service, PM reaps a
 *    user process), as if it had faulted itself.
 * Each containment is an event (kcall_contained) naming the fate.
 *
 * The scheduler's pick is contained the same way (contain_sched_recover):
 * it changes nothing but which process runs, so it is simply run again.
 *
 * Also contained: an injected crash at a kernel site in a call's path
 * (fi_auto.c) and a call that overran its deadline (still in the kernel
 * after CONTAIN_TICKS clock interrupts, or spinning with interrupts off
 * until the lockup detector's NMI says so): no kernel call path takes
 * interrupts or runs that long. Outside a call (an interrupt, the idle
 * loop, boot) a kernel fault is a panic, as before.
 *
 * Not instrumented (Makefile: AUTO_KERNEL_SKIP): it runs inside trap
 * handling, where no int3 may be hit. */
#include "contain.h"
#include "memory.h"
#include "sched_repair.h"
#include "system.h"
#include "../include/signal.h"
#include "../include/kcall.h"

#define CONTAIN_TICKS 2

void *contain_ctx[5];
static struct proc *serving;       /* whose call is being served, 0: none */
static int scheduling, sched_retries;   /* in run_next, picking whom to run */
static int serving_ipc, serving_call, serving_ticks;
static int committed;              /* the IPC changed some process's state */
static uint32_t saved_misc, saved_eax;
static int restarted_ep = NONE;    /* restarted once: a second fault fails */
static uint32_t fault_pc, fault_addr, fault_trap;
static message reply;              /* a kernel call's answer, once it is being written */
static int have_reply;
static const char *fault_what;

void contain_arm(struct proc *caller, int ipc)
{
    serving = caller;
    serving_ipc = ipc;
    serving_call = ipc ? (int)caller->regs.eax : -1;
    serving_ticks = 0;
    committed = 0;
    have_reply = 0;
    saved_misc = caller->misc;
    saved_eax = caller->regs.eax;
}

void contain_disarm(void)
{
    if (serving && serving->endpoint == restarted_ep) restarted_ep = NONE;
    serving = 0;
}

/* Inside an interrupt or the fault machinery's own handling (quiet), state
 * changes and output are not the call's. */
static int quiet;
void contain_commit(void) { if (!quiet) committed = 1; }
void contain_quiet(int on) { quiet += on ? 1 : -1; }
/* The answer is about to overwrite the request (system.c): from here on
 * the call has taken effect, and a fault writing it writes it again. */
void contain_reply(const message *m)
{
    reply = *m;
    have_reply = 1;
    committed = 1;
}


void contain_note_call(int call) { if (serving && !serving_ipc) serving_call = call; }
int contain_armed(void) { return serving != 0; }

void contain_fault(const struct trapframe *tf, const char *what)
{
    if (!serving && !scheduling) return;
    uint32_t cr2 = 0;
    if (tf->vector == 14) __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    fault_pc = tf->eip;
    fault_addr = cr2;
    fault_trap = tf->vector;
    fault_what = what;
    quiet = 0;                         /* the frames that were quiet are dropped */
    /* interrupts are off (every kernel entry is an interrupt gate) and
     * stay off until the kernel leaves through trap_return */
    __builtin_longjmp(contain_ctx, 1);
}

void contain_tick(const struct trapframe *tf)
{
    if ((serving || scheduling) && ++serving_ticks >= CONTAIN_TICKS)
        contain_fault(tf, "overdue");
}

/* Copy between the kernel and p's user memory with a page walk of our
 * own: the recovery must not run the code that just faulted (memory.c is
 * instrumented, its sites may be the armed ones). Page tables outside RAM
 * (ram_top) are refused, not read. */
static int user_copy(struct proc *p, uint32_t va, void *buf, uint32_t n, int write,
                     uint32_t ram_top)
{
    uint8_t *b = buf;
    while (n) {
        if (va < USER_BASE || va >= USER_TOP || !p->pdir) return EFAULT;
        uint32_t pde = p->pdir[va >> 22];
        if ((pde & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || (pde & ~0xfffu) >= ram_top) return EFAULT;
        uint32_t pte = ((uint32_t *)(pde & ~0xfffu))[(va >> 12) & 0x3ff];
        if ((pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U) || (write && !(pte & PTE_W)) ||
            (pte & ~0xfffu) >= ram_top)
            return EFAULT;
        uint32_t k = PAGE_SIZE - (va & 0xfff);
        if (k > n) k = n;
        uint8_t *pa = (uint8_t *)((pte & ~0xfffu) | (va & 0xfff));
        if (write) memcpy(pa, b, k);
        else memcpy(b, pa, k);
        va += k; b += k; n -= k;
    }
    return OK;
}

/* The scheduler (trap.c: run_next) is a recovery window too: it only
 * picks a ready process and loads its directory, so a fault there is
 * undone by picking again, from the same recovery point, after the check;
 * more than SCHED_RETRIES in a row (the fault stays) is a panic. */
#define SCHED_RETRIES 2

void contain_sched(int on)
{
    scheduling = on;
    serving_ticks = 0;
}

void contain_sched_done(void)
{
    scheduling = 0;
    sched_retries = 0;
}

/* After a fault, before anything is trusted: a site the kernel was
 * stepping over gets its int3 back, then the consistency check (kcheck.c)
 * says what is broken, 0 if nothing. If its complaint is about the run
 * queues, they are rebuilt from the process table (sched_repair.c: they
 * only restate the table's RTS flags, so nothing is lost but the order
 * among equals) and the whole check runs again: whatever it finds then
 * (something else broken, or the queues still wrong) is a panic as
 * before. `by` names the path for the repair's event. */
static const char *check_after_fault(const char *by)
{
#if FAULTINJ
    struct trapframe none = { 0 };
    fi_auto_step(0, &none);
#endif
    const char *broken = kernel_check();
    if (broken && sched_queues_complaint(broken)) {
        sched_repair(by);
        broken = kernel_check();
    }
    return broken;
}

void contain_sched_recover(void)
{
    scheduling = 0;
    const char *broken = check_after_fault("sched");
    if (broken)
        panic("kernel unsafe after a fault in the scheduler at pc=0x%x (%s): %s", fault_pc,
              fault_what, broken);
    if (++sched_retries > SCHED_RETRIES)
        panic("the scheduler faulted %d times in a row (pc=0x%x, %s)", sched_retries, fault_pc,
              fault_what);
    kevent("ev=kcall_contained proc=kernel ep=-1 call=sched:0 trap=%u what=\"%s\" pc=0x%x "
           "addr=0x%x fate=retried", fault_trap, fault_what, fault_pc, fault_addr);
}

/* Clean: runnable, in no one's queue, no sendrec half pending. */
static int ipc_state_clean(struct proc *p)
{
    if (p->rts || (p->misc & (MF_REPLY_PEND | MF_SENDREC))) return 0;
    for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
        struct proc *q = proc_table[i].caller_q;
        for (int n = 0; q && n < NR_TASKS + NR_PROCS; n++, q = q->q_link)
            if (q == p) return 0;
    }
    return 1;
}

/* A kernel call that has changed nothing yet: it faulted before its
 * handler ran, or its handler only reads or copies. */
static int no_effect_yet(int call)
{
    if (committed) return 0;
    return call == -1 || call == SYS_GETINFO || call == SYS_TIMES || call == SYS_VIRCOPY ||
           call == SYS_SETALARM || call == SYS_DIAGCTL;
}

/* The caller's eip follows the 2-byte `int $n` that entered the kernel. */
static int at_trap_insn(struct proc *p, uint32_t ram_top)
{
    uint8_t insn[2];
    uint32_t vec = serving_ipc ? IPC_VECTOR : KERNEL_CALL_VECTOR;
    return user_copy(p, p->regs.eip - 2, insn, 2, 0, ram_top) == OK && insn[0] == 0xcd &&
           insn[1] == vec;
}

/* Answered like any refused call: eax, and for a kernel call the message. */
static void fail_call(struct proc *p, uint32_t ram_top)
{
    if (!serving_ipc) {
        message m;
        memset(&m, 0, sizeof m);
        m.m_type = EFAULT;
        m.m_source = SYSTEM;
        user_copy(p, p->regs.ecx, &m, sizeof m, 1, ram_top);
    }
    p->regs.eax = (uint32_t)EFAULT;
}

void contain_recover(void)
{
    struct proc *p = serving;
    serving = 0;                      /* a fault from here on is a panic */
    const char *broken = check_after_fault(serving_ipc ? "ipc" : "kcall");
    if (broken)
        panic("kernel unsafe after a fault in %s %d of %s at pc=0x%x (%s): %s",
              serving_ipc ? "ipc" : "kernel call", serving_call, p->name, fault_pc,
              fault_what, broken);
    uint32_t ram_top = mem_bytes();
    const char *fate;
    if (p->rts & RTS_SLOT_FREE) {
        fate = "gone";                /* it ended itself during the call */
    } else if (!serving_ipc && have_reply &&
               user_copy(p, p->regs.ecx, &reply, sizeof reply, 1, ram_top) == OK) {
        fate = "answered";            /* done; only writing its answer faulted */
        p->regs.eax = (uint32_t)reply.m_type;
    } else if (serving_ipc ? !committed : no_effect_yet(serving_call)) {
        if (serving_ipc) p->misc = saved_misc;    /* a sendrec's flags, as before */
        if (restarted_ep != p->endpoint && at_trap_insn(p, ram_top)) {
            fate = "restarted";
            restarted_ep = p->endpoint;
            p->regs.eax = saved_eax;
            p->regs.eip -= 2;
        } else {
            fate = "efault";
            fail_call(p, ram_top);
        }
    } else if (!serving_ipc || ipc_state_clean(p)) {
        fate = "efault";
        fail_call(p, ram_top);
    } else {
        fate = "ended";
    }
    kevent("ev=kcall_contained proc=%s ep=%d call=%s:%d trap=%u what=\"%s\" pc=0x%x addr=0x%x fate=%s",
           p->name, p->endpoint, serving_ipc ? "ipc" : "kcall", serving_call, fault_trap,
           fault_what, fault_pc, fault_addr, fate);
    if (!strcmp(fate, "ended"))
        cause_sig(p, SIGSEGV);
}
