/* ipc.S - the IPC and kernel-call traps. ipc_call(call, endpoint, msg)
 * and kernel_call(msg) return the kernel's status in eax. */
    .text
    .globl ipc_call
ipc_call:
    push %ebx
    mov 8(%esp), %eax
    mov 12(%esp), %ebx
    mov 16(%esp), %ecx
    int $33
    pop %ebx
    ret

    .globl kernel_call
kernel_call:
    mov 4(%esp), %ecx
    int $32
    ret

    .section .note.GNU-stack,"",@progbits
