/* layout.h - the virtual address layout of every user process. The kernel
 * is identity-mapped below USER_BASE, supervisor-only; user programs are
 * linked at USER_BASE and get a stack below USER_STACK_TOP. */
#ifndef OS_LAYOUT_H
#define OS_LAYOUT_H
#define PAGE_SIZE       4096u
#define USER_BASE       0x40000000u
#define USER_TOP        0xC0000000u
#define USER_STACK_TOP  0xBFFF0000u
#define USER_STACK_SIZE (64u * 1024u)
/* First page of every program: counters the crt0 bumps, at a fixed
 * address so RS (or the host) can read them without symbols. */
#define USER_INFO_ADDR  USER_BASE
/* Two words on that page: where the program's .gcov_info pointers begin
 * and end (empty without coverage), so the kernel can dump the counters of
 * an image that is going away (os/kernel/gcov.c) */
#define USER_INFO_GCOV  (USER_INFO_ADDR + 4)
/* A process's heap, grown page by page with SYS_GROW (RS keeps its
 * copies of executables there, taking memory as it needs it). */
#define HEAP_BASE       0x70000000u
#define HEAP_SIZE       0x20000000u
/* Memory a process keeps when its image is replaced in place (a restart
 * or live update of a restart-policy service): a program's section .keep
 * is linked here, and exec moves these pages into the new image instead of
 * zeroing them. DS keeps its table there, so its own restart loses no
 * label, state or subscription. */
#define KEEP_BASE       0xA0000000u
#define KEEP_SIZE       (512u * 1024u)
#endif
