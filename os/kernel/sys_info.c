/* sys_info.c - time, alarms, console output and information calls. */
#include "system.h"
#include "guardian.h"
#include "memory.h"
#include "boot.h"
#include "protect.h"

int do_times(struct proc *caller, message *m)
{
    uint64_t tsc = rdtsc();
    m->T_UPTIME = ticks;
    m->T_HZ = HZ;
    m->T_USEC = (uint32_t)uptime_usec();
    m->T_TSC_LO = (uint32_t)tsc;
    m->T_TSC_HI = (uint32_t)(tsc >> 32);
    m->T_USER = caller->user_ticks;
    return OK;
}

int do_setalarm(struct proc *caller, message *m)
{
    struct priv *pv = caller->priv;
    if (!pv || is_user_priv_id(pv->id)) return EPERM;
    m->ALRM_LEFT = pv->alarm_at > ticks ? pv->alarm_at - ticks : 0;
    pv->alarm_at = m->ALRM_TICKS ? ticks + m->ALRM_TICKS : 0;
    if (pv->flags & PF_ROOT_SYS) guardian_rs_alarm();   /* RS's own heartbeat */
    return OK;
}

extern int serial_reader_ep;

int do_serial(struct proc *caller, message *m)
{
    switch (m->SER_OP) {
    case SER_REGISTER:
        serial_reader_ep = caller->endpoint;
        serial_enable_rx();
        irq_enable(4);
        return OK;
    case SER_READ: {
        char buf[256];
        if (m->SER_LEN > sizeof buf) m->SER_LEN = sizeof buf;
        if (!user_range_ok(caller, m->SER_ADDR, m->SER_LEN, 1)) return EFAULT;
        size_t n = serial_read(buf, m->SER_LEN);
        if (copy_to_user(caller, m->SER_ADDR, buf, (uint32_t)n) != OK) return EFAULT;
        m->SER_LEN = (uint32_t)n;
        return OK;
    }
    default:
        return EINVAL;
    }
}

/* Console output of a process. Nothing it writes may pass for the
 * kernel's: plain bytes lose their control bytes (userout.c); event text
 * is put on one line first and then must not set t= or who=, which the
 * kernel writes from its clock and its process table (evcheck.c). */
int do_diagctl(struct proc *caller, message *m)
{
    char buf[DIAG_MAX];
    uint32_t len = m->DIAG_LEN;
    if (len > DIAG_MAX) return E2BIG;
    if (copy_from_user(caller, m->DIAG_ADDR, buf, len) != OK) return EFAULT;
    /* a service printing what a user asked for (TTY_WRITE, RS's list,
     * PM's tree) spends that user's budget, or services would be a way
     * round it; a user's own DIAG_FOR is ignored (it may not spend
     * another's budget) */
    struct proc *payer = caller;
    int err;
    if (m->DIAG_FOR != 0 && caller->priv && !is_user_priv_id(caller->priv->id)) {
        struct proc *p = ep_to_proc(m->DIAG_FOR, &err);
        if (p && p->priv) payer = p;
    }
    if (!m->DIAG_EVENT) {
        if (!userout_allowed(payer, len)) return OK;    /* counted, said later */
        serial_write_untrusted(buf, len);
        return OK;
    }
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    char text[DIAG_MAX];
    event_text_clean(text, buf, len);
    char kind[32];
    int r = event_text_check(text, len, kind, sizeof kind);
    if (r != OK) return r;
    if (event_producer_check(caller, kind) != OK) {
        /* counted; the first few reported, so a forger cannot flood the
         * console with reports. kind is a schema kind: safe unquoted. */
        static unsigned refused;
        if (refused++ < 8)
            kevent("ev=event_refused proc=%s kind=%s n=%u", caller->name, kind, refused);
        return EPERM;
    }
    /* only what is printed counts against the process's output budget: a
     * refused line costs the console nothing */
    if (!userout_allowed(payer, len)) return OK;        /* counted, said later */
    kevent_raw(caller->name, text, len);
    return OK;
}

static void fill_spec(struct priv *pv, priv_spec_t *s)
{
    memset(s, 0, sizeof *s);
    s->id = pv->id;
    s->flags = pv->flags;
    s->trap_mask = pv->trap_mask;
    s->ipc_to = pv->ipc_to;
    s->k_calls = pv->k_calls;
    s->sig_mgr = pv->sig_mgr;
}

/* Copy an array of fixed-size records, as many as fit in the buffer. */
static int copy_records(struct proc *caller, message *m, const void *src, int count, uint32_t size)
{
    uint32_t fit = m->I_LEN / size;
    if ((uint32_t)count > fit) count = (int)fit;
    if (copy_to_user(caller, m->I_ADDR, src, (uint32_t)count * size) != OK) return EFAULT;
    m->I_COUNT = count;
    return OK;
}

int do_getinfo(struct proc *caller, message *m)
{
    switch (m->I_REQ) {
    case GET_WHOAMI: {
        struct whoami w = { caller->endpoint, caller->priv ? caller->priv->id : -1,
                            caller->priv ? caller->priv->flags : 0, {0} };
        strlcpy(w.name, caller->name, sizeof w.name);
        return copy_records(caller, m, &w, 1, sizeof w);
    }
    case GET_IMAGE:
        return copy_records(caller, m, boot_image, nr_boot_image, sizeof boot_image[0]);
    case GET_MODULES:
        return copy_records(caller, m, module_table, nr_boot_modules, sizeof module_table[0]);
    case GET_PROCTAB: {
        static struct proc_info tab[NR_TASKS + NR_PROCS];
        for (int i = 0; i < NR_TASKS + NR_PROCS; i++) {
            struct proc *p = &proc_table[i];
            struct proc_info *t = &tab[i];
            memset(t, 0, sizeof *t);
            t->proc_nr = p->nr;
            t->endpoint = p->endpoint;
            t->rts_flags = p->rts;
            t->priv_id = p->priv ? p->priv->id : -1;
            t->sendto = p->sendto_e;
            t->getfrom = p->getfrom_e;
            t->priority = p->priority;
            t->dispatches = p->dispatches;
            t->user_ticks = p->user_ticks;
            t->lost_reply_ep = p->lost_reply_ep;
            t->lost_reply_at = p->lost_reply_at;
            t->lost_reply_waited = p->lost_reply_waited;
            t->refused_ep = p->refused_n ? p->refused_ep : NONE;
            t->refused_type = p->refused_type;
            t->refused_n = p->refused_n;
            t->refused_since = p->refused_since;
            t->refused_at = p->refused_at;
            strlcpy(t->name, p->name, sizeof t->name);
        }
        return copy_records(caller, m, tab, NR_TASKS + NR_PROCS, sizeof tab[0]);
    }
    case GET_PRIV: {
        int err;
        struct proc *p = ep_to_proc(m->I_ARG, &err);
        if (!p) return err;
        if (!p->priv) return ENOENT;
        priv_spec_t s;
        fill_spec(p->priv, &s);
        return copy_records(caller, m, &s, 1, sizeof s);
    }
    case GET_BOOTMOD: {
        /* I_ARG = module index, I_COUNT = offset in; bytes copied out */
        int i = m->I_ARG;
        if (i < 0 || i >= nr_boot_modules) return EINVAL;
        uint32_t off = (uint32_t)m->I_COUNT, total = boot_modules[i].len;
        if (off > total) return EINVAL;
        uint32_t n = total - off < m->I_LEN ? total - off : m->I_LEN;
        if (copy_to_user(caller, m->I_ADDR, (void *)(boot_modules[i].start + off), n) != OK)
            return EFAULT;
        m->I_COUNT = (int)n;
        m->m.u[5] = total;
        return OK;
    }
    case GET_KINFO: {
        struct kinfo k = { HZ, mem_bytes(), frames_free(), NR_PROCS,
                           (uint32_t)nr_boot_image, (uint32_t)nr_boot_modules,
                           (uint32_t)ipc_fast_calls, (uint32_t)ipc_lean_calls };
        return copy_records(caller, m, &k, 1, sizeof k);
    }
    default:
        return EINVAL;
    }
}
