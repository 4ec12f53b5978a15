/* msgfuzz - a user program that sends random requests to every server:
 * types from each server's protocol and around it, payloads of random
 * words and hostile pointers and lengths. A server must answer each with
 * OK or an error, never crash or hang; the test then checks that RS had
 * nothing to recover. The victims' deliberate crash and hang requests are
 * left out. Usage: msgfuzz COUNT SEED */
#include "../../lib/libsys/syslib.h"
#include "../../lib/libc/libc.h"
#include "../../include/services.h"

static uint32_t rng;
static uint32_t rnd(void) { rng = rng * 1103515245u + 12345u; return (rng >> 8) ^ (rng << 13); }

static const struct { const char *label; int base, span; } servers[] = {
    { "rs", RS_BASE, 0x18 }, { "ds", DS_BASE, 8 }, { "pm", PM_BASE, 8 },
    { "vm", VM_BASE, 4 }, { "mem", MEM_BASE, 3 }, { "tty", TTY_BASE, 2 },
    { "kv", KV_BASE, 6 }, { "echo", ECHO_BASE, 4 },
};

static int lookup(const char *label)
{
    if (!strcmp(label, "rs")) return RS_PROC_EP;
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, label, LABEL_MAX);
    if (ipc_sendrec(DS_PROC_EP, &m) != OK || m.m_type != OK) return NONE;
    return m.DS_ENDPT;
}

static int forbidden(int type)
{
    /* test hooks that crash or hang on purpose, and requests that change
     * the system as asked (start programs, stop services, update) */
    return type == KV_CRASH || type == KV_HANG || type == ECHO_CRASH || type == ECHO_HANG ||
           type == PM_SPAWN || type == PM_KILL || type == PM_WAIT ||
           (type >= RS_UP && type <= RS_GCOV);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    rng = argc > 2 ? (uint32_t)atoi(argv[2]) : 1;
    int sent = 0, failed_ipc = 0, answered_err = 0, answered_ok = 0;
    for (int i = 0; i < n; i++) {
        int s = (int)(rnd() % (sizeof servers / sizeof servers[0]));
        int ep = lookup(servers[s].label);
        if (ep == NONE) continue;
        message m;
        for (int w = 0; w < MSG_PAYLOAD_WORDS; w++) m.m.u[w] = rnd();
        if (rnd() & 1) m.m.u[rnd() % MSG_PAYLOAD_WORDS] = 0;          /* short strings */
        if (rnd() & 1) m.m.u[5] = 0x40000000u + rnd() % 0x10000u;      /* plausible pointers */
        m.m_type = servers[s].base + (int)(rnd() % (uint32_t)servers[s].span) - 1;
        if (rnd() % 16 == 0) m.m_type = (int)rnd();
        if (forbidden(m.m_type)) continue;
        sent++;
        int r = ipc_sendrec(ep, &m);
        if (r != OK) failed_ipc++;
        else if (m.m_type == OK) answered_ok++;
        else answered_err++;
    }
    event("ev=msgfuzz_done sent=%d ok=%d errors=%d ipc_failed=%d", sent, answered_ok,
          answered_err, failed_ipc);
    return 0;
}
