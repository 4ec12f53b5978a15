/* main.c - kernel entry: read the Multiboot information, set up memory,
 * tables and the clock, turn every boot module into a process, and start.
 * Only the kernel tasks and RS, the root system process, get privileges
 * here; every other boot process waits under RTS_NO_PRIV until RS sets
 * its privileges. The order of the modules carries no meaning. */
#include "warm.h"
#include "proc.h"
#include "watchdog.h"
#include "gcov.h"
#include "memory.h"
#include "protect.h"
#include "elfload.h"
#include "boot.h"
#include "system.h"
#include "../include/kcall.h"
void fi_init(void);

struct boot_module boot_modules[MAX_MODULES];
int nr_boot_modules;
struct boot_image_entry boot_image[MAX_MODULES];
struct boot_image_entry module_table[MAX_MODULES];
int nr_boot_image;
extern char __kernel_end[];   /* the loader zeroed .bss (ELF memsz) */
void start_scheduling(void) __attribute__((noreturn));

struct mb_info { uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; };
struct mb_module { uint32_t start, end, string, reserved; };

/* Boot services have fixed slots so that everyone can find RS and PM. */
static const struct { const char *name; int slot; } well_known[] = {
    { "rs", RS_PROC_NR }, { "pm", PM_PROC_NR }, { "vm", VM_PROC_NR },
    { "ds", DS_PROC_NR }, { "tty", TTY_PROC_NR }, { "mem", MEM_PROC_NR },
    { "init", INIT_PROC_NR },
};

static void parse_module(struct boot_module *bm, const struct mb_module *mm)
{
    const char *s = (const char *)mm->string;
    const char *path_end = s, *base = s;
    while (*path_end && *path_end != ' ') {
        if (*path_end == '/') base = path_end + 1;
        path_end++;
    }
    int n = 0;
    while (base + n < path_end && base[n] != '.' && n < PROC_NAME_LEN - 1) {
        bm->name[n] = base[n];
        n++;
    }
    bm->name[n] = 0;
    while (*path_end == ' ') path_end++;
    strlcpy(bm->args, path_end, sizeof bm->args);
    fmt_snprintf(bm->cmdline, sizeof bm->cmdline, "%s%s%s", bm->name, *bm->args ? " " : "", bm->args);
    bm->start = mm->start;
    bm->len = mm->end - mm->start;
}

static int slot_for(const char *name, int *next_free)
{
    for (unsigned i = 0; i < sizeof well_known / sizeof well_known[0]; i++)
        if (!strcmp(name, well_known[i].name)) return well_known[i].slot;
    if (*next_free >= NR_BOOT_PROCS) panic("too many boot modules");
    return (*next_free)++;
}

static void setup_task(int nr, const char *name)
{
    struct proc *p = proc_addr(nr);
    p->rts = 0;
    strlcpy(p->name, name, sizeof p->name);
    if (nr == CLOCK || nr == SYSTEM || nr == HARDWARE) {
        /* they only ever notify: receive-only trap mask, may reach anyone */
        struct priv *pv = priv_get(static_priv_id(nr));
        pv->flags = PF_SYS_PROC;
        pv->ipc_to = ~0ull;
        pv->proc_nr = nr;
        p->priv = pv;
    }
}

/* A shared user privilege: SENDREC only, no system flags; console output,
 * the time and its own exit are the only kernel calls (plus `extra`). From
 * boot it reaches RS and the core servers; any other service that names
 * user processes in its send mask (RS's "*") is granted symmetrically when
 * RS sets its privileges. PM, the signal manager, reaps user processes. */
static void setup_user_priv(int id, uint64_t extra)
{
    struct priv *up = priv_get(id);
    up->flags = PF_PREEMPTIBLE | PF_BILLABLE;
    up->trap_mask = 1u << IPC_SENDREC;
    up->k_calls = KC_BIT(SYS_DIAGCTL) | KC_BIT(SYS_TIMES) | KC_BIT(SYS_EXIT) | extra;
    up->ipc_to = (1ull << static_priv_id(PM_PROC_NR)) | (1ull << static_priv_id(RS_PROC_NR)) |
                 (1ull << static_priv_id(VM_PROC_NR)) | (1ull << static_priv_id(DS_PROC_NR)) |
                 (1ull << static_priv_id(TTY_PROC_NR));
    up->sig_mgr = MAKE_EP(0, PM_PROC_NR);
    up->proc_nr = NONE;
}

static void load_boot_process(int idx, int slot)
{
    struct boot_module *bm = &boot_modules[idx];
    struct proc *p = proc_alloc(slot);
    if (!p) panic("boot slot %d for %s is taken (duplicate module?)", slot, bm->name);
    p->gen = 0;
    p->endpoint = MAKE_EP(0, slot);      /* boot endpoints equal their slots */
    strlcpy(p->name, bm->name, sizeof p->name);
    p->boot_module = idx;
    p->pdir = pdir_new();
    if (!p->pdir) panic("out of memory loading %s", bm->name);
    uint32_t entry, esp;
    int r = elf_load(p->pdir, mem_reader, (void *)bm->start, bm->len, EXEC_MAX_MEM, &entry);
    if (r != OK) panic("boot module %s is not a valid executable (%d)", bm->name, r);
    if ((r = stack_setup(p->pdir, bm->cmdline, &esp)) != OK) panic("stack for %s: %d", bm->name, r);
    p->regs.eip = entry;
    p->regs.esp = esp;
    p->regs.cs = UCODE_SEL;
    p->regs.ss = p->regs.ds = p->regs.es = p->regs.fs = p->regs.gs = UDATA_SEL;
    p->regs.eflags = 0x202;
    p->priority = 4;
    FI_AUTO_SYNC_PROC(p);         /* sites armed at fi_boot_hook */

    struct boot_image_entry *e = &boot_image[nr_boot_image++];
    e->proc_nr = slot;
    e->endpoint = p->endpoint;
    e->module = idx;
    e->image_size = bm->len;
    e->flags = PROC_FULLVM;
    strlcpy(e->name, bm->name, sizeof e->name);
    strlcpy(e->args, bm->args, sizeof e->args);

    if (slot == RS_PROC_NR) {
        /* the root system process: full privileges from the kernel */
        struct priv *pv = priv_get(static_priv_id(slot));
        pv->flags = PF_SYS_PROC | PF_ROOT_SYS | PF_PREEMPTIBLE;
        pv->trap_mask = IPC_ALL_TRAPS;
        pv->ipc_to = ~0ull;
        pv->k_calls = SYS_ALL_CALLS;
        pv->sig_mgr = NONE;
        pv->proc_nr = slot;
        p->priv = pv;
        p->priority = 2;
        proc_ready(p);
    } else {
        p->rts = RTS_NO_PRIV;            /* waits for RS */
    }
}

void kmain(uint32_t magic, struct mb_info *mbi)
{
    conring_init((magic == 0x2BADB002 && (mbi->flags & 4)) ? (const char *)mbi->cmdline : 0);
    serial_init();
    kprintf("\n" KERNEL_BANNER "\n");
    if (magic != 0x2BADB002) panic("not loaded by a Multiboot loader (magic 0x%x)", magic);
    protect_init();

    uint32_t ram_end = (mbi->flags & 1) ? (mbi->mem_upper + 1024) * 1024 : 32u << 20;
    uint32_t free_start = (uint32_t)__kernel_end;
    struct mb_module *mods = (struct mb_module *)mbi->mods_addr;
    nr_boot_modules = (mbi->flags & 8) ? (int)mbi->mods_count : 0;
    if (nr_boot_modules > MAX_MODULES) panic("too many boot modules: %d", nr_boot_modules);
    for (int i = 0; i < nr_boot_modules; i++) {
        parse_module(&boot_modules[i], &mods[i]);
        if (mods[i].end > free_start) free_start = mods[i].end;
    }
    if ((uint32_t)mods + 16 * (uint32_t)nr_boot_modules > free_start)
        free_start = (uint32_t)mods + 16 * (uint32_t)nr_boot_modules;
    ram_end = warm_reserve((mbi->flags & 4) ? (const char *)mbi->cmdline : 0, ram_end);
    mem_init(ram_end, free_start);

    proc_init();
    priv_init();
    fi_init();
    setup_task(IDLE, "idle");
    setup_task(CLOCK, "clock");
    setup_task(SYSTEM, "system");
    setup_task(KERNEL, "kernel");

    int next_free = FIRST_FREE_SLOT, have_rs = 0;
    for (int i = 0; i < nr_boot_modules; i++) {
        struct boot_module *bm = &boot_modules[i];
        struct boot_image_entry *e = &module_table[i];
        e->proc_nr = NONE;
        e->endpoint = NONE;
        e->module = i;
        e->image_size = bm->len;
        strlcpy(e->name, bm->name, sizeof e->name);
        strlcpy(e->args, bm->args, sizeof e->args);
        /* "noexec": a program file for RS and PM to start later */
        if (!strncmp(bm->args, "noexec", 6) && (bm->args[6] == 0 || bm->args[6] == ' '))
            continue;
        int slot = slot_for(bm->name, &next_free);
        e->flags = PROC_FULLVM;
        e->proc_nr = slot;
        e->endpoint = MAKE_EP(0, slot);
        if (slot == RS_PROC_NR) have_rs = 1;
        load_boot_process(i, slot);
    }
    if (!have_rs) panic("no rs module in the boot image");

    /* user processes share INIT's priv; fault-injection tools another */
    setup_user_priv(USER_PRIV_ID, 0);
    setup_user_priv(FI_USER_PRIV_ID, KC_BIT(SYS_FI_CTL));

    watchdog_init((mbi->flags & 4) ? (const char *)mbi->cmdline : 0);
    tickless_init((mbi->flags & 4) ? (const char *)mbi->cmdline : 0);
    gcov_init((mbi->flags & 4) ? (const char *)mbi->cmdline : 0);
    clock_init();
    deadman_pet();                       /* from the first tick's time on */
    lockup_init();
    warm_init();
    kevent("ev=boot modules=%d mem_kb=%u free_frames=%u", nr_boot_modules,
           mem_bytes() / 1024, frames_free());
    start_scheduling();
}
