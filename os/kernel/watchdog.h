/* watchdog.h - the virtual-time limit of a run (watchdog.c). */
#ifndef KERNEL_WATCHDOG_H
#define KERNEL_WATCHDOG_H
void watchdog_init(const char *cmdline);
void watchdog_set(uint32_t ms);
void watchdog_tick(void);
#endif
