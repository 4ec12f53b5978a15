/* watchdog.h - the virtual-time limit of a run (watchdog.c). */
#ifndef KERNEL_WATCHDOG_H
#define KERNEL_WATCHDOG_H
void watchdog_init(const char *cmdline);
void watchdog_set(uint32_t ms);
/* deadman.c: the machine's own watchdog, put ahead at each clock tick taken */
void deadman_pet(void);
void watchdog_tick(void);
uint32_t watchdog_due(void);   /* tickless.c: the tick the limit is due at */
/* lockup.c: the HPET's periodic NMI, for a kernel stuck with interrupts off */
struct trapframe;
void lockup_init(void);
void lockup_pause(void);      /* warm.c: no NMI until lockup_settle */
void lockup_settle(void);     /* warm.c: the HPET counts from 0 again */
void lockup_idle(int on);     /* tickless.c: no NMI while the idle kernel skips ticks */
void lockup_nmi(const struct trapframe *tf, int from_user);
/* a long kernel path known to end (the coverage dump) is still going */
void lockup_progress(void);
#endif
