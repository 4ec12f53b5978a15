/* warm.h - the in-guest reset to the plan point (warm.c, warm_switch.S). */
#ifndef KERNEL_WARM_H
#define KERNEL_WARM_H

/* The reserved half of RAM begins with WARM_HDR bytes of bookkeeping (the
 * header, the frame bitmaps, the stack the copies run on); the copy of the
 * OS's RAM follows. The offsets are the assembly's too. */
#define WARM_HDR          0x100000u
#define WARM_OFF_ESP      4
#define WARM_OFF_CR3      8

#ifndef __ASSEMBLER__
#include <stdint.h>
struct warm_area;
/* cmdline "warm=1" (or "warm=verify"): keep the top of RAM for the copy;
 * returns the RAM the OS may use */
uint32_t warm_reserve(const char *cmdline, uint32_t ram_end);
void     warm_init(void);            /* says at boot whether it is on */
void     warm_point(void);           /* at the plan point: save, or come back here */
void     warm_restore(void);         /* at the run's end, if the host asked: no return */
extern volatile uint32_t warm_go;    /* the host's ask, written at machine_off_point */
/* warm_switch.S: run work(area) on the area's stack with paging off, the
 * kernel's registers kept on its own stack; returns 0. warm_enter runs
 * work(area) the same way and comes back to that saved point with 1. */
uint32_t warm_switch(struct warm_area *a, void (*work)(struct warm_area *));
void     warm_enter(struct warm_area *a, void (*work)(struct warm_area *)) __attribute__((noreturn));
#endif
#endif
