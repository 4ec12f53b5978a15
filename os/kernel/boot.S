/* boot.S - Multiboot v1 header and the first instructions: set up the boot
 * stack and enter kmain(magic, multiboot_info). */
#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00000003   /* page-align modules, give memory map */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 16
    .globl kstack_bottom, kstack_top
kstack_bottom:
    .skip 16384
kstack_top:

    .section .text
    .globl _start
_start:
    cli
    mov $kstack_top, %esp
    xor %ebp, %ebp
    push %ebx
    push %eax
    call kmain
1:  hlt
    jmp 1b

    .section .note.GNU-stack,"",@progbits
