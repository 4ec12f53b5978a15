/* kernel.h - common kernel declarations: console, panic, events, string
 * helpers and port I/O. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include "../include/ipc.h"
#include "../include/errno.h"
#include "../include/exitcodes.h"

#define HZ 100

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0,%1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0,%1" :: "a"(v), "Nd"(port)); }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

/* serial.c */
void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
void serial_enable_rx(void);
void serial_regs_get(uint8_t r[3]);          /* warm.c */
void serial_settle(const uint8_t r[3]);
void serial_newline_if_needed(void);
int  serial_rx_irq(void);
size_t serial_read(char *buf, size_t max);

/* conring.c: the console in the memory of QEMU's ivshmem device
 * (console=ring, the harness's machines); else serial.c's UART */
void conring_init(const char *cmdline);
void conring_map(uint32_t *pdir);
int  conring_on(void);
/* a piece of output (crlf: '\n' as "\r\n"); 0: not here, print on the UART */
int  conring_write(const char *s, size_t n, int crlf);

/* kprintf.c; formatting is the shared fmt_snprintf / fmt_vsnprintf */
#include "../lib/common/format.h"
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* event.c: one machine-readable line per event, EV_FRAME "#EV t=<us> ...".
 * Only the kernel writes EV_FRAME (ASCII RS), at the start of its event
 * lines and of its panic line; faultinj/events.py believes no other line. */
#define EV_FRAME '\x1e'
void kevent(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kevent_raw(const char *who, const char *text, size_t len);

/* userout.c: a process's bytes, made unable to carry EV_FRAME */
void serial_write_untrusted(const char *s, size_t n);
struct proc;
/* may this process print n more bytes this second? (userout.c) */
int userout_allowed(struct proc *p, uint32_t n);
void userout_flush(struct proc *p);      /* its count of lost output, if any */
char event_text_byte(char c);
/* n bytes of s made event text into out (out != s), checked (userout.c) */
void event_text_clean(char *out, const char *s, size_t n);
extern uint32_t event_text_redone;

/* evcheck.c: OK if a process's event text sets no t=/who= and parses;
 * kind (ksize bytes) gets its ev= value as the host will read it, or ""
 * if longer than any kind */
int event_text_check(const char *s, size_t n, char *kind, size_t ksize);
/* OK if p may emit an event of this kind (contract/events.def @...);
 * EPERM for a kind reserved to other producers */
struct proc;
int event_producer_check(const struct proc *p, const char *kind);

/* shutdown.c */
void machine_exit(int guest_code) __attribute__((noreturn));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* string routines: the libc ones, which are freestanding */
#include "../lib/libc/libc.h"

/* clock.c */
extern volatile uint32_t ticks;
void     clock_init(void);
void     clock_settle(void);     /* warm.c: the PIT starts a period afresh */
uint64_t uptime_usec(void);
void     clock_tick(void);
uint32_t clock_skip(uint32_t k);     /* tickless.c: one interrupt at tick ticks+k */
int      clock_skipping(void);
void     clock_unskip(int irq);      /* the one-shot is over: periodic again */
uint32_t alarms_due(void);
/* tickless.c: idle ticks at which nothing is due are skipped */
void     tickless_init(const char *cmdline);   /* "tickless=0": every tick taken */
void     tickless_idle(void);        /* run_next, before it halts */
void     tickless_wake(int irq);     /* every interrupt, first */
void     tickless_audited(void);     /* a tick's audits ran while idle */
void     tickless_busy(void);        /* a process is dispatched */

#define KASSERT(c) do { if (!(c)) panic("assertion failed: %s at %s:%d", #c, __FILE__, __LINE__); } while (0)

#endif
