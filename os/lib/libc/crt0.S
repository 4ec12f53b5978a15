/* crt0.S - user program entry. The very first instruction bumps a counter
 * on the info page, so RS can prove a boot process has not run before it
 * was allowed to. Then main(argc, argv) and exit with its status. The page
 * also says where the coverage counters' descriptors are (layout.h). */
#include "../../include/layout.h"
    .section .procinfo, "aw"
    .globl __proc_start_count
__proc_start_count:
    .long 0
    .org USER_INFO_GCOV - USER_INFO_ADDR
    .long __gcov_info_start, __gcov_info_end

    .section .text.start, "ax"
    .globl _start
_start:
    incl __proc_start_count
    xor %ebp, %ebp
    mov 4(%esp), %eax      /* argv */
    mov (%esp), %ecx       /* argc */
    push %eax
    push %ecx
    call main
    push %eax
    call exit
1:  jmp 1b

    .section .note.GNU-stack,"",@progbits
