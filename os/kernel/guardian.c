/* guardian.c - RS's guardian. RS supervises every service, so nothing
 * above it can; when RS itself dies (a fault, a signal, an exit) the
 * kernel starts it again, in place: the same process slot and endpoint,
 * so every service keeps RS as its signal manager and its clients'
 * sendrec targets; a fresh image from RS's boot module, with the word
 * `recover` on its command line; and RS's keep region carried over (its
 * table, outbox and image list: os/servers/rs/keep.c), from which the new
 * RS takes up supervision without restarting anyone. RS dying again and
 * again within a short time is a system failure: the kernel panics.
 *
 * Nothing pings RS, so the kernel also watches it: RS spends its life
 * blocked in receive between short bursts of work; runnable for a whole
 * second without blocking once, it is hung, and is restarted the same
 * way. And RS's supervision has a pulse of its own: RS sets its alarm
 * again for every round of heartbeats (every few ticks); blocked but
 * without setting it for a whole second, RS still answers requests but
 * supervises no one any more (stale), and is restarted too. */
#include "proc.h"
#include "boot.h"
#include "memory.h"
#include "elfload.h"
#include "protect.h"
#include "system.h"
#include "guardian.h"

#define RS_HANG_TICKS (1 * HZ)   /* RS runnable this long without once blocking: hung */
#define GUARD_MAX     3          /* recoveries allowed ... */
#define GUARD_WINDOW  (10 * HZ)  /* ... within this many ticks */

static int recent;
/* RS asked to be replaced (do_renew) and the new image has not set its
 * alarm yet, i.e. has not taken over */
static int renew_pending;
static uint32_t window_start;

void rs_guardian(struct proc *p, const char *why)
{
    if (ticks - window_start > GUARD_WINDOW) { window_start = ticks; recent = 0; }
    if (++recent > GUARD_MAX)
        panic("root system process %s keeps dying (%s), %d times within %d ticks",
              p->name, why, recent, GUARD_WINDOW);
    kevent("ev=rs_died why=%s pc=0x%x addr=0x%x", why, p->fault_pc, p->fault_addr);
    if (p->boot_module < 0 || p->boot_module >= nr_boot_modules)
        panic("root system process %s has no boot module to restart from", p->name);
    struct boot_module *bm = &boot_modules[p->boot_module];
    uint32_t *pd = pdir_new(), entry, esp;
    if (!pd) panic("out of memory restarting %s", p->name);
    char cmd[200];
    fmt_snprintf(cmd, sizeof cmd, "%s recover", bm->cmdline);
    int r = elf_load(pd, mem_reader, (void *)bm->start, bm->len, EXEC_MAX_MEM, &entry);
    if (r == OK) r = stack_setup(pd, cmd, &esp);
    if (r != OK) panic("cannot restart %s from its boot module (%d)", p->name, r);

    /* whoever waited on the old RS gets an error and asks again; but a
     * new version of RS dying before it took over (a failed update of RS)
     * is rolled back, and the RS that comes back answers those waits */
    if (!renew_pending) ipc_dead_partners(p);
    renew_pending = 0;
    if (p->rts == 0) proc_unready(p);
    p->rts = 0;
    p->misc = 0;
    p->sig_pending = 0;
    p->sendto_e = p->getfrom_e = NONE;
    pdir_activate(pd);                   /* the old tables are about to go */
    int kept = proc_new_image(p, pd, entry, esp);
    FI_AUTO_SYNC_PROC(p);                /* armed automatic sites in the new image */
    proc_ready(p);
    kevent("ev=rs_restarted ep=%d recoveries=%d kept_pages=%d", p->endpoint, recent, kept);
    /* if RS was running, return to the new image: the scheduler picks it */
    if (current == p) pdir_activate(p->pdir);
}

/* RS's live update of itself: a new image of RS from its boot module, in
 * place, its keep region carried over, entered with `recover` on its
 * command line as after a death. Unlike a death, the processes waiting on
 * RS (a sendrec whose answer is due, senders queued) keep waiting: the new
 * RS answers them from its kept table. A new RS that dies before it has
 * taken over is restarted by rs_guardian from the same module: that is
 * the rollback. The call does not return on success. */
int do_renew(struct proc *caller, message *m)
{
    (void)m;
    if (!caller->priv || !(caller->priv->flags & PF_ROOT_SYS)) return EPERM;
    if (caller->boot_module < 0 || caller->boot_module >= nr_boot_modules) return ENOEXEC;
    struct boot_module *bm = &boot_modules[caller->boot_module];
    uint32_t *pd = pdir_new(), entry, esp;
    if (!pd) return ENOMEM;
    char cmd[200];
    fmt_snprintf(cmd, sizeof cmd, "%s recover", bm->cmdline);
    int r = elf_load(pd, mem_reader, (void *)bm->start, bm->len, EXEC_MAX_MEM, &entry);
    if (r == OK) r = stack_setup(pd, cmd, &esp);
    if (r != OK) { pdir_free(pd); return r; }
    caller->misc = 0;
    caller->sig_pending = 0;
    pdir_activate(pd);                   /* the old tables are about to go */
    int kept = proc_new_image(caller, pd, entry, esp);
    FI_AUTO_SYNC_PROC(caller);           /* armed automatic sites in the new image */
    kevent("ev=rs_renewed ep=%d kept_pages=%d", caller->endpoint, kept);
    renew_pending = 1;
    return EDONTREPLY;                   /* the caller is the new image now */
}

static uint32_t last_alarm;          /* when RS last set its alarm; 0: not yet */
/* How often RS went from runnable to blocked since the last tick. A tick
 * is a sample of one instant, and a busy RS (a flood of requests it
 * answers one by one) may be runnable at every tick while it blocks in
 * receive between each of them: only the blocks themselves tell busy from
 * hung. */
static uint32_t rs_blocks;

void guardian_rs_blocked(void)
{
    rs_blocks++;
}

void guardian_rs_alarm(void)
{
    renew_pending = 0;                   /* RS supervises again: taken over */
    last_alarm = ticks ? ticks : 1;
}

/* RS, if it is there as the root system process the guardian watches */
static struct proc *watched_rs(void)
{
    struct proc *rs = proc_addr(RS_PROC_NR);
    if ((rs->rts & RTS_SLOT_FREE) || !rs->priv || !(rs->priv->flags & PF_ROOT_SYS)) return 0;
    return rs;
}

/* The first tick guardian_tick may act at (tickless.c), 0: never while
 * RS stays blocked. A blocked RS only refreshes last_blocked, which the
 * tick after the idle does as well; its stale alarm is due at a tick. */
uint32_t guardian_due(void)
{
    struct proc *rs = watched_rs();
    if (!rs) return 0;
    if (rs->rts == 0 || rs_blocks) return ticks + 1;
    return last_alarm ? last_alarm + RS_HANG_TICKS + 1 : 0;
}

/* Every clock tick: RS hung, or its supervision stale? */
void guardian_tick(void)
{
    static uint32_t last_blocked;
    struct proc *rs = watched_rs();
    if (!rs) return;
    if (rs->rts != 0 && last_alarm && ticks - last_alarm > RS_HANG_TICKS) {
        last_alarm = 0;                  /* the new RS sets it again */
        last_blocked = ticks;
        rs_guardian(rs, "stale");
        return;
    }
    uint32_t blocked = rs_blocks;
    rs_blocks = 0;
    if (rs->rts != 0 || blocked || last_blocked == 0) {  /* blocked since the last tick */
        last_blocked = ticks;
        return;
    }
    if (ticks - last_blocked > RS_HANG_TICKS) {
        last_blocked = ticks;
        last_alarm = 0;
        rs_guardian(rs, "hang");
    }
}
