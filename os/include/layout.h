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
#endif
