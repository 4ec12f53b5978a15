/* ipc.S - the IPC and kernel-call traps. ipc_call(call, endpoint, msg)
 * and kernel_call(msg) return the kernel's status in eax.
 * ipc_call_timed(call, endpoint, msg, ticks) passes a SENDREC's deadline
 * in edx (os/kernel/ipc_deadline.c); ipc_call passes 0 (none), so no
 * caller's stray edx is ever taken for a deadline. */
    .text
    .globl ipc_call
ipc_call:
    push %ebx
    mov 8(%esp), %eax
    mov 12(%esp), %ebx
    mov 16(%esp), %ecx
    xor %edx, %edx
    int $33
    pop %ebx
    ret

    .globl ipc_call_timed
ipc_call_timed:
    push %ebx
    mov 8(%esp), %eax
    mov 12(%esp), %ebx
    mov 16(%esp), %ecx
    mov 20(%esp), %edx
    int $33
    pop %ebx
    ret

    .globl kernel_call
kernel_call:
    mov 4(%esp), %ecx
    int $32
    ret

    .section .note.GNU-stack,"",@progbits
