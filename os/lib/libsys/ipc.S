/* ipc.S - the IPC and kernel-call traps, and the end-to-end check of every
 * message sent through them. ipc_call(call, endpoint, msg),
 * its common cases ipc_send, ipc_sendnb, ipc_receive, ipc_sendrec, and
 * kernel_call(msg) return the kernel's status in eax.
 * ipc_sendrec_timed(endpoint, msg, ticks) passes a SENDREC's deadline
 * in edx (os/kernel/ipc_deadline.c); every other call passes 0 (none), so
 * no caller's stray edx is ever taken for a deadline.
 *
 * The end-to-end check (issue 22; the registers: os/include/ipc.h). The
 * kernel's copy of a message is what must not be trusted, so the sender
 * computes a check of its message here, before the trap, and passes it in
 * esi, outside the message (64 bytes, all of them used); the kernel
 * carries it to the receiver's esi with the sender's endpoint (edi) and
 * call (ebp). The receiver checks here, when its RECEIVE or SENDREC
 * returns a message: m_source must be the endpoint the kernel names, and
 * words 1..15 (m_type and the payload; the sender cannot know m_source,
 * the kernel stamps it) must give the sender's check. A mismatch returns
 * EGARBLED instead of OK (ipc_garbled.c reports it and, for a request
 * whose sender waits for the answer, refuses it at once).
 *
 * The check is the 32-bit sum of words 1..15: one add per word, unrolled.
 * Any change confined to one word changes the sum (a flipped bit, an
 * XOR-masked m_type, any other value), so does a truncated copy whose
 * stale words differ in sum from the words left out. It misses changes to
 * two or more words that cancel (a bit set in one word and the same bit
 * cleared in another, words swapped, a stale tail that is a permutation
 * of the real one). Messages the kernel makes (notifications, ebp =
 * IPC_BY_KERNEL) carry no check and are taken as they are. */
#include "../../include/ipc.h"
#include "../../include/errno.h"

/* acc = the check of the message at ecx */
.macro CHECK acc
    mov 4(%ecx), \acc
    add 8(%ecx), \acc
    add 12(%ecx), \acc
    add 16(%ecx), \acc
    add 20(%ecx), \acc
    add 24(%ecx), \acc
    add 28(%ecx), \acc
    add 32(%ecx), \acc
    add 36(%ecx), \acc
    add 40(%ecx), \acc
    add 44(%ecx), \acc
    add 48(%ecx), \acc
    add 52(%ecx), \acc
    add 56(%ecx), \acc
    add 60(%ecx), \acc
.endm

.macro SAVE
    push %ebp
    push %edi
    push %esi
    push %ebx
.endm
.macro RESTORE_AND_RETURN
    pop %ebx
    pop %esi
    pop %edi
    pop %ebp
    ret
.endm

/* After the trap of a call that receives (RECEIVE, SENDREC), SAVE's frame
 * on the stack, the buffer's address at bufoff(%esp): check what arrived
 * and return. callno is the call, for the report. reply: SENDREC's, where
 * an answer of type EGARBLED is the receiver's libsys refusing our request
 * as garbled (ipc_garbled.c): the call fails with it, as when our check of
 * the reply fails, so a caller sees one error for either way. */
.macro VERIFY_AND_RETURN bufoff, callno, reply=0
    test %eax, %eax
    jnz 3f                       /* no message received */
    test %ebp, %ebp
    jz 3f                        /* IPC_BY_KERNEL: made by the kernel, no check */
    mov \bufoff(%esp), %ecx      /* the buffer, as the caller gave it */
    cmp (%ecx), %edi
    jne 4f                       /* m_source is not who the kernel says sent it */
    CHECK %edx
    cmp %edx, %esi
    jne 4f
.if \reply
    cmpl $EGARBLED, 4(%ecx)
    je 5f
.endif
3:  RESTORE_AND_RETURN
4:  push %ebp                    /* ipc_garbled(call, from, how): EGARBLED */
    push %edi
    pushl \callno
    call ipc_garbled
    add $12, %esp
    jmp 3b
.if \reply
5:  mov $EGARBLED, %eax
    jmp 3b
.endif
.endm

    .text
/* ipc_call(call, endpoint, msg): any call, what to check chosen at run
 * time. Arguments at 20(%esp) on. */
    .globl ipc_call
ipc_call:
    SAVE
    xor %edx, %edx
    mov 20(%esp), %eax
    mov 24(%esp), %ebx
    mov 28(%esp), %ecx
    cmp $IPC_RECEIVE, %eax
    je 2f                        /* nothing sent */
    test %ecx, %ecx
    jz 2f                        /* no message (NOTIFY): nothing to check */
    CHECK %esi
2:  int $IPC_VECTOR
    cmpl $IPC_RECEIVE, 20(%esp)
    je 6f
    cmpl $IPC_SENDREC, 20(%esp)
    je 7f
    RESTORE_AND_RETURN           /* a send: nothing received */
6:  VERIFY_AND_RETURN 28, $IPC_RECEIVE
7:  VERIFY_AND_RETURN 28, $IPC_SENDREC, 1

/* The common calls, each with only its own part of the check: the hot
 * path of every server and client (syslib.h). (endpoint, msg[, ticks]),
 * at 20(%esp) on after SAVE. */
    .globl ipc_sendrec
ipc_sendrec:
    SAVE
    xor %edx, %edx
    jmp 1f
    .globl ipc_sendrec_timed
ipc_sendrec_timed:
    SAVE
    mov 28(%esp), %edx
1:  mov $IPC_SENDREC, %eax
    mov 20(%esp), %ebx
    mov 24(%esp), %ecx
    CHECK %esi
    int $IPC_VECTOR
    VERIFY_AND_RETURN 24, $IPC_SENDREC, 1

    .globl ipc_receive
ipc_receive:
    SAVE
    mov $IPC_RECEIVE, %eax
    mov 20(%esp), %ebx
    mov 24(%esp), %ecx
    int $IPC_VECTOR
    VERIFY_AND_RETURN 24, $IPC_RECEIVE

/* sends: the kernel sets no register of a sender but eax */
    .globl ipc_send
ipc_send:
    mov $IPC_SEND, %eax
    jmp 1f
    .globl ipc_sendnb
ipc_sendnb:
    mov $IPC_SENDNB, %eax
1:  push %ebx
    push %esi
    mov 12(%esp), %ebx
    mov 16(%esp), %ecx
    xor %edx, %edx
    CHECK %esi
    int $IPC_VECTOR
    pop %esi
    pop %ebx
    ret

/* ipc_trap_unchecked(call, endpoint, msg): the bare trap, no check sent
 * (esi 0) and none made. For tests of the kernel's own checks of the
 * trap's arguments only: a buffer its caller cannot read would fault in
 * the sender's check before the kernel could refuse it with EFAULT. */
    .globl ipc_trap_unchecked
ipc_trap_unchecked:
    SAVE                         /* esi, edi, ebp too: a message received sets them */
    mov 20(%esp), %eax
    mov 24(%esp), %ebx
    mov 28(%esp), %ecx
    xor %edx, %edx
    xor %esi, %esi
    int $IPC_VECTOR
    RESTORE_AND_RETURN

    .globl kernel_call
kernel_call:
    mov 4(%esp), %ecx
    int $KERNEL_CALL_VECTOR
    ret

    .section .note.GNU-stack,"",@progbits
