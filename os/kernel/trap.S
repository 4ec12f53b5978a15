/* trap.S - entry stubs for exceptions, hardware interrupts and the two
 * system-call vectors. Every entry builds a struct trapframe on the single
 * kernel stack and calls trap_dispatch(); leaving the kernel always goes
 * through trap_return with the frame of the process chosen to run. */
#define KDATA_SEL 0x10

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
TRAP_NOERR 33
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

trap_common:
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

/* enter_frame(frame): switch to a prepared frame and leave the kernel. */
    .globl enter_frame
enter_frame:
    mov 4(%esp), %esp
    jmp trap_return

    .section .note.GNU-stack,"",@progbits
