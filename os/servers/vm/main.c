/* main.c - VM: memory information and the VM call mask of every process.
 * There is one mask format for boot and dynamic services alike.
 *
 * VM's state is the masks. It keeps no copy of its own across a restart
 * but rebuilds them on every init (fresh, restart, live update) from RS's
 * public table (the init data), where each service's entry carries its
 * mask; RS sends VM_SET_MASK for an instance it starts later. RS's table is
 * the only source masks ever come from (VM_SET_MASK is RS's alone and
 * carries the table's value), and RS keeps that table across its own
 * failures (os/servers/rs/keep.c), so a rebuild cannot disagree with what
 * VM held, where a kept copy could be stale or half-written by the
 * instance that died. The rebuild is checked, as DS checks what it kept:
 * the table must match the checksum RS computed over what it sent
 * (INIT_PUB_SUM) and name both RS and VM itself, or the init fails naming
 * the cause (ev=vm_masks_failed) and RS tries again - VM never starts with
 * no masks, or some, and says OK. So VM needs DS for nothing, and a VM
 * restart after DS lost everything still knows who may do what. */
#include "../../include/fi.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

SEF_PROVIDES("vm");

#define PAGE_BYTES 4096u

/* Indexed by slot; the endpoint is kept so a mask never outlives the
 * process it was given to (a new generation in the slot has none). */
static struct { int32_t ep; uint32_t mask; } masks[NR_PROCS];

static int slot_of(int ep)
{
    if (ep == ANY || ep == NONE || ep == SELF) return -1;
    int slot = EP_SLOT(ep);
    return slot >= 0 && slot < NR_PROCS ? slot : -1;
}

static uint32_t mask_of(int ep)
{
    int slot = slot_of(ep);
    return slot >= 0 && masks[slot].ep == ep ? masks[slot].mask : 0;
}

static int set_mask(int ep, uint32_t mask)
{
    int slot = slot_of(ep);
    if (slot < 0) return EINVAL;
    masks[slot].ep = ep;
    masks[slot].mask = mask;
    return OK;
}

static int do_set_mask(message *m)
{
    if (m->m_source != RS_PROC_EP) return EPERM;
    int r = set_mask(m->m.i[0], m->m.u[1]);
    if (r == OK) event("ev=vm_mask_set ep=%d mask=0x%x", m->m.i[0], m->m.u[1]);
    return r;
}

static int do_get_mask(message *m)
{
    if (slot_of(m->m.i[0]) < 0) return EINVAL;
    m->m.u[1] = mask_of(m->m.i[0]);
    return OK;
}

static int do_info(message *m)
{
    if (!(mask_of(m->m_source) & VM_CALL_INFO)) return EPERM;
    struct kinfo k;
    int n = 0, r = sys_getinfo(GET_KINFO, &k, sizeof k, 0, &n);
    if (r != OK) return r;
    if (n != 1) return EIO;
    m->m.u[0] = k.mem_bytes;
    m->m.u[1] = k.free_frames * PAGE_BYTES;
    return OK;
}

/* The init data as VM checks and uses it: its own copy, so what is
 * checked is what is used. */
static struct rprocpub table[NR_SERVICES];

/* Why RS's table cannot be used, or 0. VM restarts in place (a boot
 * process keeps its endpoint), so its own entry names VM_PROC_EP. */
static const char *table_unusable(const struct sef_init_info *info, int n)
{
    if (n <= 0) return "empty";
    if (info->pub_sum == 0 || rspub_sum(table, n) != info->pub_sum) return "checksum";
    int self = 0, rs = 0;
    for (int i = 0; i < n; i++) {
        if (!(table[i].flags & RSF_IN_USE)) continue;
        rs |= table[i].endpoint == RS_PROC_EP && !strncmp(table[i].label, "rs", LABEL_MAX);
        self |= table[i].endpoint == VM_PROC_EP && !strncmp(table[i].label, "vm", LABEL_MAX);
    }
    return !rs ? "no_rs" : !self ? "no_vm" : 0;
}

/* Every init type: the masks of every service RS has a process for. */
static int init_from_rs(int type, const struct sef_init_info *info)
{
    static const char *types[] = { "fresh", "lu", "restart" };
    const char *tname = type >= 0 && type <= 2 ? types[type] : "?";
    for (int i = 0; i < NR_PROCS; i++) { masks[i].ep = NONE; masks[i].mask = 0; }
    int nr = info->nr_pub < NR_SERVICES ? info->nr_pub : NR_SERVICES;
    memcpy(table, info->pub, (uint32_t)nr * sizeof table[0]);
    /* injected: the copy VM got went bad, for the checksum to find */
    if (nr > 0 && FI_ERROR("vm.init.corrupt")) table[nr - 1].vm_calls ^= 0x5a;
    const char *why = table_unusable(info, nr);
    if (why) {
        event("ev=vm_masks_failed why=%s entries=%d type=%s", why, nr, tname);
        return EIO;
    }
    int n = 0;
    for (int i = 0; i < nr; i++) {
        const struct rprocpub *p = &table[i];
        if ((p->flags & RSF_IN_USE) && set_mask(p->endpoint, p->vm_calls) == OK) n++;
    }
    event("ev=vm_masks masks=%d entries=%d type=%s", n, nr, tname);
    return OK;
}

/* One request, answered in m; returns its result. */
static int handle(message *m)
{
    switch (m->m_type) {
    case VM_INFO:     return do_info(m);
    case VM_SET_MASK: return do_set_mask(m);
    case VM_GET_MASK: return do_get_mask(m);
    default:          return ENOSYS;
    }
}

/* VM's answer about a mask (its state, as the probe and every client see
 * it) is computed twice, each time from its own copy of the request taken
 * as it arrived, and sent only if both agree: duplicated execution, as
 * SWIFT and EDDI do per instruction, here per request. Why: a transient
 * fault on the way from request to answer (a skipped store, a flipped
 * branch in the dispatch, a corrupted register or request word) otherwise
 * gives its client a wrong answer while VM looks healthy to RS. VM cannot
 * tell which of two disagreeing answers is right, and a fault that struck
 * once may have struck elsewhere too, so it trusts neither: it stops at
 * once (a trap), RS restarts it, the masks are rebuilt from RS's checked
 * table (init_from_rs), and the client, told of VM's death (EDEADSRCDST),
 * asks again. Only VM_GET_MASK is doubled: it reads VM's state alone.
 * VM_INFO reads the kernel's free-frame count, which may change between
 * two asks, and VM_SET_MASK changes the state the check would compare. */
static void check_twice(const message *req, const message *answered, int r)
{
    if (req->m_type != VM_GET_MASK) return;
    message again = *req;
    int r2 = handle(&again);
    if (r2 == r && !memcmp(&again, answered, sizeof again)) return;
    event("ev=vm_disagree type=0x%x first=%d second=%d", req->m_type, r, r2);
    __builtin_trap();
}

int main(void)
{
    /* nothing to carry over an update or restart: prepare is always ready */
    sef_setcb_stateful(init_from_rs, init_from_rs, sef_cb_lu_prepare_always_ready);
    sef_startup();

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        message req = m;            /* as it arrived, before anything reads it */
        if (is_notify(&m)) continue;
        FI_POINT("vm.request");
        int r = handle(&m);
        check_twice(&req, &m, r);
        sef_reply(&m, r);
    }
}
