/* user_page.h - which user byte the kernel may touch, as one inline page
 * walk: the IPC fast path (ipc_fast.c) looks up a message's page with it
 * instead of the general copy routines. The rule is memory.c's translate():
 * inside [USER_BASE, USER_TOP), present and user at both levels, writable
 * when written. (memory.c keeps its own copy for now; it should call this.) */
#ifndef USER_PAGE_H
#define USER_PAGE_H

#include "memory.h"

/* Physical address of user byte va in directory pd, 0 if it may not be
 * used (written, when write). */
static inline uint32_t user_page_pa(const uint32_t *pd, uint32_t va, int write)
{
    if (va < USER_BASE || va >= USER_TOP || !pd) return 0;
    uint32_t pde = pd[va >> 22];
    if ((pde & (PTE_P | PTE_U)) != (PTE_P | PTE_U)) return 0;
    uint32_t pte = ((const uint32_t *)(pde & ~0xfffu))[(va >> 12) & 0x3ff];
    if ((pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U)) return 0;
    if (write && !(pte & PTE_W)) return 0;
    return (pte & ~0xfffu) | (va & 0xfff);
}

#endif
