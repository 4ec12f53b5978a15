/* shutdown.c - ending the machine: isa-debug-exit with a status that says
 * clean halt, panic or test failure; hlt forever if the device is absent. */
#include "kernel.h"

void machine_exit(int guest_code)
{
    __asm__ volatile("cli");
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
    kprintf("\nKERNEL PANIC: %s\n", buf);
    kevent("ev=panic reason=\"%s\"", buf);
    machine_exit(GUEST_PANIC);
}
