/* warm_switch.S - the two ways into the reserved half of RAM (warm.c).
 *
 * warm_switch(a, work) keeps the caller's registers and flags on the
 * kernel stack, notes that stack and CR3 in the area's header, turns paging
 * off and runs work(a) on the stack at the top of the area's header; then
 * comes back through resume with 0. warm_enter(a, work) does the same
 * without keeping anything (work copies the saved kernel stack back) and
 * comes back through resume with 1: to the very point warm_switch left,
 * as a longjmp would. Paging is off while work runs, so the area (never
 * mapped) is reachable and the copies set no dirty bit; the kernel is
 * identity-mapped, so turning paging off or on changes no address. */
#include "warm.h"

    .text
    .globl warm_switch
warm_switch:
    pushf
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 24(%esp), %esi
    mov 28(%esp), %ecx
    mov %cr3, %edx
    mov %cr0, %eax
    and $0x7fffffff, %eax
    mov %eax, %cr0
    mov %esp, WARM_OFF_ESP(%esi)
    mov %edx, WARM_OFF_CR3(%esi)
    lea WARM_HDR(%esi), %esp
    push %esi
    call *%ecx
    xor %eax, %eax
    jmp resume

    .globl warm_enter
warm_enter:
    mov 4(%esp), %esi
    mov 8(%esp), %ecx
    mov %cr0, %edx
    and $0x7fffffff, %edx
    mov %edx, %cr0
    lea WARM_HDR(%esi), %esp
    push %esi
    call *%ecx
    mov $1, %eax

/* %esi: the area, %eax: what warm_switch returns */
resume:
    mov WARM_OFF_CR3(%esi), %edx
    mov WARM_OFF_ESP(%esi), %esp
    mov %edx, %cr3
    mov %cr0, %edx
    or $0x80000000, %edx
    mov %edx, %cr0
    mov %cr3, %edx
    mov %edx, %cr3
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    popf
    ret

    .section .note.GNU-stack,"",@progbits
