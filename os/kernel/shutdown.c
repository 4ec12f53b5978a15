/* shutdown.c - ending the machine: isa-debug-exit with a status that says
 * clean halt, panic or test failure; hlt forever if the device is absent. */
#include "kernel.h"
#include "gcov.h"
#include "warm.h"
#include "../include/layout.h"

/* Every end of a run passes here, after its last line (`ev=off`): the
 * harness's machines stop on a write watchpoint on off_mark, take the
 * run's output and then let the kernel reset itself to the plan point
 * (warm_go, warm.c), restore the machine (loadvm) or end it. The word is
 * alone on its page, as plan_mark is (plan.c): under QEMU 7.2's TCG a
 * breakpoint makes every block of its page one instruction long, and
 * going on from one throws away every translated block. */
volatile uint32_t off_mark[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));

void __attribute__((noinline, used)) machine_off_point(int guest_code)
{
    off_mark[0] = (uint32_t)guest_code;
    __asm__ volatile("" ::: "memory");
}

void machine_exit(int guest_code)
{
    __asm__ volatile("cli");
    gcov_machine_end();           /* every instance's counters, before the host stops us */
    kevent("ev=off code=0x%x", (unsigned)guest_code);
    machine_off_point(guest_code);
    if (warm_go) warm_restore();  /* back to the plan point if there is one: no return */
    outl(DEBUG_EXIT_PORT, (uint32_t)guest_code);
    for (;;)
        __asm__ volatile("hlt");
}

void panic(const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* framed, like an event line: no process can print this one */
    serial_write("\n", 1);
    serial_putc(EV_FRAME);
    kprintf("KERNEL PANIC: %s\n", buf);
    char q[sizeof buf + 40];
    kevent("ev=panic reason=%s", ev_quote(q, sizeof q, buf));   /* whole, escaped */
    machine_exit(GUEST_PANIC);
}
