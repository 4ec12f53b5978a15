/* victim.c - a process that misbehaves on request: after answering T_GO it
 * dereferences NULL, divides by zero, executes an invalid opcode, exits or
 * spins for ever, as its first argument says. Otherwise it answers pings.
 * Two modes take T_GO without answering it (issue 22: a request lost
 * inside a server): `mute` serves on as if it never came, `muteexit`
 * works a while and then exits, its caller still waiting. */
#include "testproto.h"

static volatile int zero;

static void misbehave(const char *how)
{
    if (!strcmp(how, "null")) { volatile int *p = 0; *p = 1; }
    else if (!strcmp(how, "div")) {
        /* asm: GCC turns 1/x into compares, which never trap */
        int q, d = zero;
        __asm__ volatile("cltd; idivl %2" : "=a"(q) : "a"(1), "r"(d) : "edx");
        (void)q;
    }
    else if (!strcmp(how, "ud")) { __asm__ volatile("ud2"); }
    else if (!strcmp(how, "kernel")) { volatile int *p = (int *)0x100000; *p = 1; }
    else if (!strcmp(how, "exit")) exit(0);
    else if (!strcmp(how, "spin")) { for (volatile uint32_t n = 0;; n++) ; }   /* never yields */
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "none";
    for (;;) {
        message m;
        if (ipc_receive(ANY, &m) != OK || is_notify(&m)) continue;
        int src = m.m_source, type = m.m_type;
        if (type == T_GO && !strcmp(how, "mute")) continue;
        if (type == T_GO && !strcmp(how, "muteexit")) {
            for (volatile uint32_t n = 0; n < 20000000u; n++) ;   /* its caller waits */
            exit(0);
        }
        if (type == T_PING) m.m.i[0]++;
        m.m_type = OK;
        ipc_send(src, &m);
        if (type == T_GO) misbehave(how);
    }
}
