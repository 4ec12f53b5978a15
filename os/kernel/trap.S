/* trap.S - entry stubs for exceptions, hardware interrupts and the two
 * system-call vectors. Every entry builds a struct trapframe and calls
 * trap_dispatch(); leaving the kernel always goes through trap_return with
 * the frame of the process chosen to run.
 *
 * Where the frame is built: a trap from ring 3 switches to the TSS's esp0,
 * which points just past the running process's saved registers
 * (proc.regs), so the CPU and the stub push the frame straight into the
 * process table, as MINIX does: no copy in, none out (trap_return pops the
 * chosen process's regs in place). trap_common then moves to the kernel
 * stack. A trap from ring 0 (the idle loop's interrupts, the fault
 * machinery, a kernel fault, the lockup detector's NMI) stays on the kernel
 * stack. Only an NMI can arrive while esp is in the process table (inside
 * these stubs, on the way in or out): its frame lands in the slack below
 * the regs (proc.trap_slack) and is handled on the kernel stack (nmi_off). */
#define KDATA_SEL 0x10
/* the lowest bytes of the kernel stack (boot.S: 16 KB) no kernel frame may
 * be built in: a trap that would is nested without end (trap_storm) */
#define KSTACK_GUARD 1024

.macro TRAP_NOERR n
    .globl trap_\n
trap_\n:
    pushl $0
    pushl $\n
    jmp trap_common
.endm
.macro TRAP_ERR n
    .globl trap_\n
trap_\n:
    pushl $\n
    jmp trap_common
.endm

    .text
TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR   8
TRAP_NOERR 9
TRAP_ERR   10
TRAP_ERR   11
TRAP_ERR   12
TRAP_ERR   13
TRAP_ERR   14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR   17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 32
TRAP_NOERR 48
TRAP_NOERR 49
TRAP_NOERR 50
TRAP_NOERR 51
TRAP_NOERR 52
TRAP_NOERR 53
TRAP_NOERR 54
TRAP_NOERR 55
TRAP_NOERR 56
TRAP_NOERR 57
TRAP_NOERR 58
TRAP_NOERR 59
TRAP_NOERR 60
TRAP_NOERR 61
TRAP_NOERR 62
TRAP_NOERR 63

.macro SAVE_REGS
    pusha
    push %ds
    push %es
    push %fs
    push %gs
    mov $KDATA_SEL, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    cld
.endm

/* IPC: its own entry, to trap.c's ipc_dispatch without the vector tests */
    .globl trap_33
trap_33:
    pushl $0
    pushl $33
    SAVE_REGS
    testl $3, 0x3c(%esp)
    jz kernel_frame
    mov %esp, %eax                /* &current->regs */
    mov $kstack_top, %esp
    push %eax
    call ipc_dispatch             /* never returns */

trap_common:
    SAVE_REGS
    testl $3, 0x3c(%esp)          /* the frame's cs: from ring 3? */
    jz kernel_frame
    mov %esp, %eax                /* &current->regs */
    mov $kstack_top, %esp
    push %eax
    call trap_dispatch            /* never returns for a ring-3 frame */
kernel_frame:
    cmp $kstack_top, %esp
    jae nmi_off
    cmp $kstack_bottom, %esp
    jb nmi_off
    cmp $kstack_bottom + KSTACK_GUARD, %esp
    jb trap_storm
    push %esp
    call trap_dispatch
    add $4, %esp
    .globl trap_return
trap_return:
    /* every way out of the kernel counts: the host tells a kernel locked
     * up with interrupts off (no way out for long) from a busy one */
    incl kernel_exits
    pop %gs
    pop %fs
    pop %es
    pop %ds
    popa
    add $8, %esp
    iret

/* An NMI taken with esp in the process table: its frame (17 words: no
 * esp/ss from ring 0) is in the slack below some process's regs. Handled on
 * the kernel stack (free: nothing of the kernel's is on it while esp is
 * elsewhere; NMIs do not nest), then put back where it was and left from
 * there, so the interrupted stub goes on with its own esp. */
nmi_off:
    mov %esp, nmi_frame
    mov %esp, %esi
    mov $kstack_top - 68, %edi
    mov $17, %ecx
    rep movsl
    mov $kstack_top - 68, %esp
    push %esp
    call trap_dispatch
    add $4, %esp
    mov %esp, %esi
    mov nmi_frame, %edi
    mov $17, %ecx
    rep movsl
    mov nmi_frame, %esp
    jmp trap_return

    .data
    .align 4
nmi_frame: .long 0
    .text

/* Kernel traps nested until the kernel stack is nearly used up: the
 * kernel's own trap handling faults (its code unmapped under a wild page
 * directory, for one), each fault entering here again, one frame deeper;
 * the lockup detector's NMI only nests once more. Nothing of the kernel can
 * be trusted to run, not even panic(), and the guest would crawl on for
 * ever in host time with no tick to end the run. The machine stops at once
 * with a triple fault, which uses nothing but this page and the stack: an
 * empty IDT, then an exception that cannot be delivered. QEMU runs with
 * -no-reboot, so the run ends there (the verdict: the kernel crashed). */
trap_storm:
    push $0
    push $0
    lidt (%esp)
    ud2

/* enter_frame(frame): switch to a prepared frame and leave the kernel. */
    .globl enter_frame
enter_frame:
    mov 4(%esp), %esp
    jmp trap_return

    .section .note.GNU-stack,"",@progbits
