/* A tiny multiboot kernel for testing faultinj.qemu and faultinj.gdbstub
 * without the project kernel.  It prints a boot event with its command
 * line and module count, then acts on the character after '@' in the
 * command line:
 *   h halt, p panic, f test failure (debug-exit codes 0x10/0x11/0x12),
 *   r triple fault (reset), w hang forever,
 *   g wait until the host writes `flag` through GDB, pass `reached`,
 *     exit with the flag's value,
 *   e read one byte from COM1 and report it in an event, then halt.
 * Its event lines start with the frame byte (ASCII RS) as the real
 * kernel's do: faultinj.events believes no other line.
 */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0
    .set COM1, 0x3f8
    .set EXIT_PORT, 0xf4

    .text
    .align 4
mb_header:                      /* first thing in .text: within 8 KiB */
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .globl _start
_start:
    mov $stack_top, %esp
    mov %ebx, mbi
    mov $msg_boot, %esi
    call puts
    mov mbi, %ebx
    mov 16(%ebx), %esi          /* multiboot cmdline */
    mov %esi, cmdline
    call puts
    mov $msg_mods, %esi
    call puts
    mov mbi, %ebx
    mov 20(%ebx), %eax          /* mods_count (< 10 in tests) */
    add $'0', %al
    call putc
    mov $'\n', %al
    call putc

    mov cmdline, %esi
1:  lodsb
    test %al, %al
    jz mode_halt
    cmp $'@', %al
    jne 1b
    lodsb
    cmp $'h', %al
    je mode_halt
    cmp $'p', %al
    je mode_panic
    cmp $'f', %al
    je mode_fail
    cmp $'r', %al
    je mode_reset
    cmp $'w', %al
    je mode_hang
    cmp $'g', %al
    je mode_gdb
    cmp $'e', %al
    je mode_echo
mode_halt:
    mov $0x10, %eax
    jmp do_exit
mode_panic:
    mov $0x11, %eax
    jmp do_exit
mode_fail:
    mov $0x12, %eax
do_exit:
    mov $EXIT_PORT, %dx
    outl %eax, %dx
2:  cli
    hlt
    jmp 2b

mode_reset:
    lidt zero_idt
    int $3                      /* no IDT: #GP, #DF, triple fault */

mode_hang:
    mov $msg_hang, %esi
    call puts
    jmp 2b

mode_gdb:
    mov $msg_wait, %esi
    call puts
3:  mov flag, %eax
    test %eax, %eax
    jz 3b
    .globl reached
reached:
    jmp do_exit

mode_echo:
    mov $msg_echo, %esi
    call puts
4:  mov $COM1 + 5, %dx          /* line status: data ready? */
    inb %dx, %al
    test $1, %al
    jz 4b
    mov $COM1, %dx
    inb %dx, %al
    mov %al, %bl
    mov $msg_got, %esi
    call puts
    mov %bl, %al
    call putc
    mov $'\n', %al
    call putc
    jmp mode_halt

puts:                           /* esi: NUL-terminated string */
    lodsb
    test %al, %al
    jz 5f
    call putc
    jmp puts
5:  ret

putc:                           /* al: byte (QEMU needs no UART setup) */
    push %edx
    mov $COM1, %dx
    outb %al, %dx
    pop %edx
    ret

    .data
    .align 4
    .globl flag
flag:       .long 0
mbi:        .long 0
cmdline:    .long 0
zero_idt:   .word 0
            .long 0
msg_boot:   .asciz "\x1e#EV t=0 ev=tiny_boot cmd=\""
msg_mods:   .asciz "\" mods="
msg_hang:   .asciz "\x1e#EV ev=hanging\n"
msg_wait:   .asciz "\x1e#EV ev=waiting\n"
msg_echo:   .asciz "\x1e#EV ev=echo_ready\n"
msg_got:    .asciz "\x1e#EV ev=got c="

    .bss
    .align 16
    .space 4096
stack_top:

    .section .note.GNU-stack, "", @progbits
