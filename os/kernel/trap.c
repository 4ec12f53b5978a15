/* trap.c - the one entry from every trap: save the interrupted process,
 * handle the event, pick who runs next and return to it. A fault in ring 3
 * stops only that process and informs its signal manager; a fault in the
 * kernel while it serves a process's kernel call or IPC fails that call
 * (contain.c); any other fault in the kernel itself is a panic. */
#include "proc.h"
#include "protect.h"
#include "memory.h"
#include "system.h"
#include "watchdog.h"
#include "gcov.h"
#include "contain.h"
#include "sched_repair.h"
#include "kaudit.h"
#include "../include/signal.h"
#include "../include/fi.h"
#include "fi_quiet.h"

extern uint32_t *const tss_esp0;       /* protect.c */
void enter_frame(struct trapframe *tf) __attribute__((noreturn));
static const char *exc_names[20] = { "divide error", "debug", "NMI", "breakpoint",
    "overflow", "bounds", "invalid opcode", "no coprocessor", "double fault",
    "coprocessor overrun", "invalid TSS", "segment not present", "stack fault",
    "general protection", "page fault", "reserved", "x87 error", "alignment check",
    "machine check", "SIMD error" };

static int exc_signal(int vec)
{
    switch (vec) {
    case 0: case 16: case 19: return SIGFPE;
    case 6: case 7: return SIGILL;
    case 3: case 1: return SIGTRAP;
    case 14: case 13: case 12: case 11: case 17: return SIGSEGV;
    default: return SIGBUS;
    }
}

int serial_reader_ep = NONE;     /* who SYS_SERIAL(REGISTER) named */
volatile uint32_t kernel_exits;  /* trap.S counts every return from the kernel */
int ipc_lean_calls;              /* IPC calls done on the lean path (ipc_dispatch) */

/* In run_next's hlt: the kernel has nothing half-done (see handle_irq). */
static volatile int idling;

/* `quiescent`: the interrupt came from user mode or from the idle loop's
 * hlt. Every other kernel entry is an interrupt gate and no kernel path
 * enables interrupts but the idle loop, so there the kernel's structures
 * are between two entries, not half-changed by one. (The one other `sti`
 * in the kernel is an injected hang, fi_auto.c, which spins with
 * interrupts on wherever its site is, in the middle of a call or of this
 * very tick; hence the idle flag rather than "any tick taken while not
 * serving a call".) Only then does the tick audit the kernel's data: the
 * privilege pointers (priv_audit.c), the run queues against the process
 * table (sched_repair.c: a fault that did not trap may have left a
 * runnable process in no queue, which would never run again) and the
 * alarms the clock let pass (alarm_audit.c). Before clock_tick, whose
 * quantum accounting moves current within its queue and whose alarms
 * queue processes: they would build on a bad queue. */
static void handle_irq(int irq, int quiescent)
{
    irq_eoi(irq);
    tickless_wake(irq);                  /* the ticks an idle skip covered */
    if (irq == 0) {
        if (quiescent) {
            priv_audit();
            sched_audit();
            alarm_audit();
        }
        clock_tick();
        deadman_pet();                   /* a tick taken: the kernel is alive */
        if (idling) tickless_audited();  /* the tick found the kernel idle */
    }
    else if (irq == 4 && serial_rx_irq() && serial_reader_ep != NONE) {
        int err;
        struct proc *p = ep_to_proc(serial_reader_ep, &err);
        if (p) ipc_notify_from(proc_addr(HARDWARE), p);
    }
}

static void user_exception(struct proc *p, struct trapframe *tf)
{
    uint32_t cr2 = 0;
    if (tf->vector == 14) __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    p->fault_addr = cr2;
    p->fault_pc = tf->eip;
    kevent("ev=fault proc=%s ep=%d trap=%u what=\"%s\" pc=0x%x addr=0x%x",
           p->name, p->endpoint, tf->vector,
           tf->vector < 20 ? exc_names[tf->vector] : "?", tf->eip, cr2);
    cause_sig(p, exc_signal((int)tf->vector));
}

/* Back into p with its saved registers, its directory loaded. Taken
 * directly, without a scheduling decision, by a process that trapped and
 * goes on (an automatic fault site, the lockup detector's NMI): a hot
 * armed site traps thousands of times. Its next trap saves its registers
 * in place (trap.S): esp0 just past them. */
static void __attribute__((noreturn)) resume(struct proc *p)
{
    *tss_esp0 = (uint32_t)(&p->regs + 1);
#if FAULTINJ
    if (fi_hwbp_busy) fi_hwbp_enter(p);  /* p's armed sites on the debug registers */
#endif
    enter_frame(&p->regs);
}

/* p, just picked, becomes the running process, its directory loaded. */
static void dispatch(struct proc *p)
{
    tickless_busy();
    if (p != current || p->dispatches == 0)
        p->dispatches++;
    current = p;
    pdir_activate(p->pdir);
}

/* Run the chosen process: never returns. Idles with interrupts on when
 * nothing is ready; interrupts taken while idle arrive with a kernel frame
 * and only do their interrupt work. */
static void __attribute__((noreturn)) run_next(void)
{
    struct proc *p;
    /* a fault while picking is undone by picking again (contain.c) */
    if (__builtin_setjmp(contain_ctx) != 0)
        contain_sched_recover();
    contain_sched(1);
    for (;;) {
        p = pick_proc();
        /* what was picked is switched to: its directory loaded, its
         * registers entered. A wild pointer there (a fault in the pick, a
         * corrupted queue head) is a triple fault, past any containment;
         * checked first, cheaply, it is a pick to make again */
        if (p && !sched_pick_sound(p)) {
            sched_pick_refused(p);
            continue;
        }
        if (p) break;
        current = proc_addr(IDLE);
        contain_sched(0);                /* idling is not picking */
        tickless_idle();
        idling = 1;
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        idling = 0;
        contain_sched(1);
    }
    dispatch(p);
    sched_pick_taken();
    contain_sched_done();
    resume(p);
}

void trap_dispatch(struct trapframe *tf)
{
    int from_user = (tf->cs & 3) == 3;
    if (!from_user) {
        /* only interrupts may arrive in the kernel: the idle loop */
        if (tf->vector >= IRQ_BASE && tf->vector < IRQ_BASE + 16) {
            contain_quiet(1);
            handle_irq((int)tf->vector - IRQ_BASE, idling);
            contain_quiet(0);
            /* a call path never takes interrupts: one that does and stays
             * (an injected hang) has overrun, and fails */
            if (tf->vector == IRQ_BASE) contain_tick(tf);
            return;
        }
        /* or the lockup detector's NMI, anywhere in the kernel */
        if (tf->vector == 2) { lockup_nmi(tf, 0); return; }
#if FAULTINJ
        /* or a fault planted at one of the kernel's automatic sites */
        if (tf->vector == 3 || tf->vector == 1) {
            /* the fault machinery's own output is not the call's effect */
            contain_quiet(1);
            int ours = tf->vector == 3 ? fi_auto_trap(0, tf) : (fi_hwbp_hit(0, tf) || fi_auto_step(0, tf));
            contain_quiet(0);
            if (ours) return;
        }
#endif
        /* or a fault reading a dying process's coverage counters: that
         * image's dump is abandoned (gcov.c), never the kernel */
        if (gcov_trap_recover()) return;
        /* or a fault while serving a call: that call fails (no return) */
        contain_fault(tf, tf->vector < 20 ? exc_names[tf->vector] : "?");
        uint32_t cr2;
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        panic("kernel trap %u (%s) at eip=0x%x err=0x%x cr2=0x%x", tf->vector,
              tf->vector < 20 ? exc_names[tf->vector] : "?", tf->eip, tf->err, cr2);
    }
    struct proc *p = current;
    /* trap.S saved the registers in place */
    KASSERT(p && !is_task(p) && tf == &p->regs);
    if (tf->vector == 2) {
        lockup_nmi(tf, 1);
        resume(p);
    }
    if (tf->vector >= IRQ_BASE && tf->vector < IRQ_BASE + 16)
        handle_irq((int)tf->vector - IRQ_BASE, 1);
    else if (tf->vector == KERNEL_CALL_VECTOR) {
        /* the recovery point of a fault in this call's path (contain.c);
         * IPC traps have their own entry, ipc_dispatch below */
        if (__builtin_setjmp(contain_ctx) == 0) {
            contain_arm(p, 0);
            kernel_call_trap(p);
            contain_disarm();
        } else {
            contain_recover();
        }
    }
#if FAULTINJ
    else if (tf->vector == 3 && fi_auto_trap(p, &p->regs))
        resume(p);                /* an automatic site or a planted fault: p goes on */
    else if (tf->vector == 1 && (fi_hwbp_hit(p, &p->regs) || fi_auto_step(p, &p->regs)))
        resume(p);                /* stepped over a site: its int3 is back */
#endif
    else
        user_exception(p, tf);
    run_next();
}

/* After an IPC the lean path did: run_next's choice, switched to without
 * its recovery window and its look at the pick (sched_pick_sound), which
 * are there for faults the kernel takes: none can act in it now
 * (fi_quiet.c), and only such a fault corrupts the queues. Nothing ready:
 * run_next idles. */
static void __attribute__((noreturn)) lean_next(void)
{
    struct proc *p = pick_proc();
    if (!p) run_next();
    dispatch(p);
    resume(p);
}

/* An IPC trap from ring 3 (trap.S: its own entry), its registers saved in
 * current's regs. As trap_dispatch's kernel-call case: the call inside
 * its recovery point, then the scheduler. The fast path (ipc_fast.c) first
 * while no fault is armed: armed hand sites are on the general path only
 * (ipc_entry.c picks the copy with them), which also does whatever the
 * fast path leaves to it, from the call's start.
 *
 * While no fault can act in the kernel at all (fi_quiet.c), the fast path
 * runs without the recovery point and the next process is switched to
 * directly (lean_next): the round trip's containment and scheduler
 * windows cost more guest instructions than its copy and checks. A call
 * the fast path leaves goes the contained way as always. */
void __attribute__((noreturn)) ipc_dispatch(struct trapframe *tf)
{
    struct proc *p = current;
    KASSERT(p && !is_task(p) && tf == &p->regs);
    int quiet = fi_kernel_quiet();
    if (quiet && ipc_fast(p)) {
        ipc_lean_calls++;
        lean_next();
    }
    if (__builtin_setjmp(contain_ctx) == 0) {
        contain_arm(p, 1);
        /* quiet: the fast path has already said no */
        if (quiet || FI_ANY_ARMED() || !ipc_fast(p)) ipc_trap(p);
        contain_disarm();
    } else {
        contain_recover();
    }
    run_next();
}

/* First entry into user space, from kmain. */
void start_scheduling(void)
{
    current = 0;
    run_next();
}
