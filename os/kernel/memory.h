/* memory.h - physical frames, page directories and checked copies
 * between the kernel and user address spaces. */
#ifndef MEMORY_H
#define MEMORY_H
#include "kernel.h"
#include "../include/layout.h"

#define PTE_P    0x001
#define PTE_W    0x002
#define PTE_U    0x004
#define PTE_A    0x020   /* set by the CPU on use */
#define PTE_D    0x040   /* set by the CPU on a write */
#define PTE_PS   0x080
#define PTE_SHARED 0x200   /* available bit: frame not owned, never freed */

struct proc;
void      mem_init(uint32_t ram_end, uint32_t free_start);
uint32_t  frame_alloc(void);          /* zeroed frame, 0 when out of memory */
void      frame_free(uint32_t pa);
uint32_t  frames_free(void);
uint32_t  mem_watermark(void);       /* bytes below the never-used frames */
uint32_t  mem_bytes(void);
const char *mem_check(void);
uint32_t *pdir_new(void);
void      pdir_free(uint32_t *pd);
int       pdir_map(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
int       pdir_alloc_range(uint32_t *pd, uint32_t va, uint32_t len, uint32_t flags);
uint32_t *pdir_clone(uint32_t *src);
int       pdir_keep(uint32_t *from, uint32_t *to);   /* pages moved */
int       pdir_keep_copy(uint32_t *from, uint32_t *to);   /* pages copied */
void      pdir_activate(uint32_t *pd);
extern uint32_t *kernel_pdir;
int fi_map(uint32_t *pd);     /* fi.c: the fault table, read-only */

/* Checked copies: every page must be present, user-accessible and, for
 * writes, writable in the process's own page table. OK or EFAULT. */
int copy_from_user(struct proc *p, uint32_t uaddr, void *dst, uint32_t len);
int copy_to_user(struct proc *p, uint32_t uaddr, const void *src, uint32_t len);
int copy_user_to_user(struct proc *sp, uint32_t saddr, struct proc *dp, uint32_t daddr, uint32_t len);
int user_range_ok(struct proc *p, uint32_t uaddr, uint32_t len, int write);
/* Kernel-side writes into a process image (ELF loading), ignoring W. */
int copy_to_image(uint32_t *pd, uint32_t va, const void *src, uint32_t len);
#endif
