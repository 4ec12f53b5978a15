/* main.c - the Reincarnation Server, root system process. At boot it reads
 * the kernel's boot image table, checks every boot process against its own
 * priv table, gives each its privileges and lets it run. Then it serves as
 * signal manager of the system services. */
#include "table.h"
#include "../../lib/libc/libc.h"
#include "../../include/layout.h"

static struct boot_image_entry image[NR_BOOT_PROCS];
static int nr_image;

static void __attribute__((noreturn)) rs_panic(const char *why, const char *who)
{
    printf("RS PANIC: %s: %s\n", why, who);
    event("ev=panic reason=\"%s\" proc=%s", why, who);
    sys_abort(ABORT_PANIC);
}

static const struct boot_image_entry *image_by_label(const char *label)
{
    for (int i = 0; i < nr_image; i++)
        if (!strcmp(image[i].name, label)) return &image[i];
    return 0;
}

/* "*" = every boot process; otherwise the listed labels' static ids. */
static uint64_t ipc_mask(const char *ipc)
{
    uint64_t mask = 0;
    if (!strcmp(ipc, "*")) {
        for (int i = 0; i < nr_image; i++)
            mask |= 1ull << static_priv_id(image[i].proc_nr);
        return mask;
    }
    char word[PROC_NAME_LEN];
    while (*ipc) {
        while (*ipc == ' ') ipc++;
        int n = 0;
        while (*ipc && *ipc != ' ') { if (n < PROC_NAME_LEN - 1) word[n++] = *ipc; ipc++; }
        word[n] = 0;
        const struct boot_image_entry *b = n ? image_by_label(word) : 0;
        if (b) mask |= 1ull << static_priv_id(b->proc_nr);
    }
    return mask;
}

static void boot_services(void)
{
    int r, me = RS_PROC_NR;
    if ((r = sys_getinfo(GET_IMAGE, image, sizeof image, 0, &nr_image)) != OK)
        rs_panic("cannot read boot image", "kernel");
    /* every boot process must have a priv entry: check all before any runs */
    for (int i = 0; i < nr_image; i++)
        if (image[i].proc_nr != me && !rs_priv_lookup(image[i].name))
            rs_panic("no priv table entry for boot process", image[i].name);

    for (int i = 0; i < nr_image; i++) {
        const struct boot_image_entry *b = &image[i];
        if (b->proc_nr == me) continue;
        const struct rs_priv_entry *e = rs_priv_lookup(b->name);
        /* prove the process has not run: crt0 bumps this as it starts */
        uint32_t count = 0xffffffff;
        if ((r = sys_vircopy(b->endpoint, USER_INFO_ADDR, SELF, (uint32_t)&count, 4)) != OK)
            rs_panic("cannot read start counter of", b->name);
        event("ev=prestart proc=%s ep=%d start_count=%u", b->name, b->endpoint, count);
        if (count != 0) rs_panic("boot process ran before RS allowed it", b->name);
        priv_spec_t s = {0};
        s.id = static_priv_id(b->proc_nr);
        s.flags = e->flags;
        s.trap_mask = e->trap_mask;
        s.ipc_to = ipc_mask(e->ipc);
        s.k_calls = e->k_calls;
        s.sig_mgr = RS_PROC_NR;
        s.priority = e->priority;
        s.quantum = e->quantum;
        if ((r = sys_privctl(b->endpoint, PRIV_SET_SYS, &s)) != OK)
            rs_panic("SET_SYS failed for", b->name);
    }
    for (int i = 0; i < nr_image; i++) {
        if (image[i].proc_nr == me) continue;
        if ((r = sys_privctl(image[i].endpoint, PRIV_ALLOW, 0)) != OK)
            rs_panic("ALLOW failed for", image[i].name);
    }
    event("ev=ready services=%d", nr_image - 1);
}

/* The kernel stopped a process we manage: log it and end it. */
static void handle_kernel_signals(void)
{
    for (;;) {
        int ep; uint32_t map, addr, pc;
        if (sys_getksig(&ep, &map, &addr, &pc) != OK || ep == NONE) return;
        event("ev=ksig ep=%d sigmap=0x%x addr=0x%x pc=0x%x", ep, map, addr, pc);
        int r = sys_exit_proc(ep);
        event("ev=reaped ep=%d result=%d", ep, r);
    }
}

int main(void)
{
    boot_services();
    for (;;) {
        message m;
        int r = ipc_receive(ANY, &m);
        if (r != OK) continue;
        if (is_notify(&m)) {
            if (m.m_source == SYSTEM) handle_kernel_signals();
            continue;
        }
        m.m_type = ENOSYS;
        ipc_sendnb(m.m_source, &m);
    }
}
