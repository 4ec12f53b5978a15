/* sys_mem.c - kernel calls that touch address spaces: copies between
 * processes, fork and exec. Every address and length is checked against
 * the page tables of the process it belongs to. */
#include "system.h"
#include "memory.h"
#include "elfload.h"
#include "protect.h"

int do_vircopy(struct proc *caller, message *m)
{
    int err;
    if (m->CP_LEN > VIRCOPY_MAX) return E2BIG;
    struct proc *s = arg_proc(caller, m->CP_SRC_EP, &err);
    if (!s) return err;
    struct proc *d = arg_proc(caller, m->CP_DST_EP, &err);
    if (!d) return err;
    if (m->CP_LEN == 0) return OK;
    return copy_user_to_user(s, m->CP_SRC_ADDR, d, m->CP_DST_ADDR, m->CP_LEN);
}

int do_fork(struct proc *caller, message *m)
{
    int err;
    struct proc *parent = ctl_proc(caller, m->FORK_PARENT, "fork", &err);
    if (!parent) return err;
    int slot = m->FORK_SLOT;
    if (slot != -1 && (slot < 0 || slot >= NR_PROCS)) return EINVAL;
    struct proc *child = proc_alloc(slot == -1 ? NONE : slot);
    if (!child) return slot == -1 ? EAGAIN : EBUSY;
    uint32_t *pd = (m->FORK_FLAGS & FORK_BLANK) ? pdir_new() : pdir_clone(parent->pdir);
    if (!pd) { child->rts = RTS_SLOT_FREE; return ENOMEM; }
    child->pdir = pd;
    child->regs = parent->regs;
    child->regs.eax = 0;
    child->priority = parent->priority;
    strlcpy(child->name, parent->name, sizeof child->name);
    /* a child of a system process may not run before RS configures it */
    if (parent->priv && (parent->priv->flags & PF_SYS_PROC)) {
        child->rts = RTS_NO_PRIV;
    } else {
        child->priv = parent->priv;
        child->rts = RTS_PROC_STOP;     /* the parent's manager resumes it */
    }
    child->creator = caller->endpoint;
    child->heap_top = (m->FORK_FLAGS & FORK_BLANK) ? 0 : parent->heap_top;
    m->FORK_CHILD = child->endpoint;
    kevent("ev=fork parent=%s child_ep=%d", parent->name, child->endpoint);
    return OK;
}

struct user_img { struct proc *p; uint32_t base; };
static int user_reader(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct user_img *u = ctx;
    return copy_from_user(u->p, u->base + off, buf, len) == OK ? OK : EFAULT;
}

/* More heap for the caller: zeroed pages mapped at its heap's end. The
 * kernel call mask says who may (RS); the heap's size bounds how much in
 * all, GROW_MAX how much in one call. */
int do_grow(struct proc *caller, message *m)
{
    uint32_t len = (m->GROW_BYTES + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (len == 0 || m->GROW_BYTES > GROW_MAX || caller->heap_top > HEAP_SIZE - len) return ENOMEM;
    if (frames_free() < len / PAGE_SIZE + 2) return ENOMEM;   /* + page tables */
    int r = pdir_alloc_range(caller->pdir, HEAP_BASE + caller->heap_top, len, PTE_U | PTE_W);
    if (r != OK) return r;                   /* what was mapped stays, reused next time */
    m->GROW_ADDR = HEAP_BASE + caller->heap_top;
    caller->heap_top += len;
    return OK;
}

/* Replace a process's image. It loses any IPC it was blocked in (a
 * successful exec gets no reply) and starts at the ELF entry point. */
int do_exec(struct proc *caller, message *m)
{
    int err;
    struct proc *p = ctl_proc(caller, m->EXEC_ENDPT, "exec", &err);
    if (!p) return err;
    if (p == caller) return EPERM;
    if (m->EXEC_LEN == 0 || m->EXEC_LEN > EXEC_MAX_IMG || m->EXEC_ARGLEN >= 128)
        return EINVAL;
    char args[128];
    if (copy_from_user(caller, m->EXEC_ARGS, args, m->EXEC_ARGLEN) != OK) return EFAULT;
    args[m->EXEC_ARGLEN] = 0;
    if (!user_range_ok(caller, m->EXEC_IMG, m->EXEC_LEN, 0)) return EFAULT;

    uint32_t *pd = pdir_new(), entry, esp;
    if (!pd) return ENOMEM;
    struct user_img u = { caller, m->EXEC_IMG };
    uint32_t mem_max = m->EXEC_MEM && m->EXEC_MEM < EXEC_MAX_MEM ? m->EXEC_MEM : EXEC_MAX_MEM;
    int r = elf_load(pd, user_reader, &u, m->EXEC_LEN, mem_max, &entry);
    if (r == OK) r = stack_setup(pd, args, &esp);
    if (r != OK) { pdir_free(pd); return r; }

    ipc_dead_partners(p);             /* nobody may wait on the old image */
    p->rts &= ~(RTS_SENDING | RTS_RECEIVING);
    p->misc = 0;
    p->sendto_e = p->getfrom_e = NONE;
    p->lost_reply_ep = NONE;          /* the new image has waited on nobody */
    p->refused_n = 0;                 /* nor been refused by anybody */
    uint32_t was_rts = p->rts;
    if (was_rts == 0) proc_unready(p);
    pdir_activate(caller->pdir);
    int kept = proc_new_image(p, pd, entry, esp);
    if (kept) kevent("ev=exec_keep proc=%s ep=%d pages=%d", p->name, p->endpoint, kept);
    int i = 0;
    while (args[i] && args[i] != ' ' && i < PROC_NAME_LEN - 1) { p->name[i] = args[i]; i++; }
    p->name[i] = 0;
    FI_AUTO_SYNC_PROC(p);             /* armed automatic sites in the new image */
    if (was_rts == 0) proc_ready(p);
    kevent("ev=exec proc=%s ep=%d", p->name, p->endpoint);
    return OK;
}
