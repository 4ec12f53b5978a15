/* shutdown.c - ending the machine: isa-debug-exit with a status that says
 * clean halt, panic or test failure; hlt forever if the device is absent. */
#include "kernel.h"
#include "gcov.h"
#include "warm.h"

/* Every end of a run passes here, after its last line (`ev=off`): the
 * host's machine pool holds a breakpoint on it and, instead of letting
 * QEMU exit, either restores the machine (loadvm) or sets warm_go for the
 * kernel to reset itself to the plan point (warm.c). */
void __attribute__((noinline, used)) machine_off_point(int guest_code)
{
    __asm__ volatile("" :: "r"(guest_code) : "memory");
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
