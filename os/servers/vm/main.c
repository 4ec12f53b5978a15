/* main.c - VM: memory information and the VM call mask of every process.
 * There is one mask format for boot and dynamic services alike. VM keeps
 * no state of its own to save: every init (fresh, restart, live update)
 * rebuilds all masks from the init data, RS's public table, where each
 * service's entry carries its mask; RS sends VM_SET_MASK for an instance
 * it starts later. So VM needs DS for nothing, and a VM restart after DS
 * lost everything still knows who may do what. */
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

/* Every init type: the masks of every service RS has a process for. */
static int init_from_rs(int type, const struct sef_init_info *info)
{
    static const char *types[] = { "fresh", "lu", "restart" };
    for (int i = 0; i < NR_PROCS; i++) { masks[i].ep = NONE; masks[i].mask = 0; }
    int n = 0;
    for (int i = 0; i < info->nr_pub; i++) {
        const struct rprocpub *p = &info->pub[i];
        if ((p->flags & RSF_IN_USE) && set_mask(p->endpoint, p->vm_calls) == OK) n++;
    }
    event("ev=vm_masks masks=%d entries=%d type=%s", n, info->nr_pub,
          type >= 0 && type <= 2 ? types[type] : "?");
    return n > 0 ? OK : EINVAL;       /* no table: VM could serve no one */
}

int main(void)
{
    /* nothing to carry over an update or restart: prepare is always ready */
    sef_setcb_stateful(init_from_rs, init_from_rs, sef_cb_lu_prepare_always_ready);
    sef_startup();

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) continue;
        int r;
        FI_POINT("vm.request");
        switch (m.m_type) {
        case VM_INFO:     r = do_info(&m); break;
        case VM_SET_MASK: r = do_set_mask(&m); break;
        case VM_GET_MASK: r = do_get_mask(&m); break;
        default:          r = ENOSYS; break;
        }
        sef_reply(&m, r);
    }
}
