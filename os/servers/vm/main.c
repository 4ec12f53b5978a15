/* main.c - VM: memory information and the VM call mask of every process.
 * There is one mask format for boot and dynamic services alike: RS sends
 * each service's mask with VM_SET_MASK, and VM checks it on every call.
 * The masks are saved in DS after each change so a restarted or updated
 * VM does not forget who may do what. */
#include "../../include/fi.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

SEF_PROVIDES("vm");

#define PAGE_BYTES 4096u
#define VM_STATE_MAGIC 0x564d4d31u   /* "VMM1" */

/* Indexed by slot; the endpoint is kept so a mask never outlives the
 * process it was given to (a new generation in the slot has none). */
static struct vm_state {
    uint32_t magic;
    struct { int32_t ep; uint32_t mask; } proc[NR_PROCS];
} st;
static int dirty;     /* masks changed since the last successful save */

static int slot_of(int ep)
{
    if (ep == ANY || ep == NONE || ep == SELF) return -1;
    int slot = EP_SLOT(ep);
    return slot >= 0 && slot < NR_PROCS ? slot : -1;
}

static uint32_t mask_of(int ep)
{
    int slot = slot_of(ep);
    return slot >= 0 && st.proc[slot].ep == ep ? st.proc[slot].mask : 0;
}

static void clear_state(void)
{
    memset(&st, 0, sizeof st);
    st.magic = VM_STATE_MAGIC;
    for (int i = 0; i < NR_PROCS; i++) st.proc[i].ep = NONE;
}

static int do_set_mask(message *m)
{
    if (m->m_source != RS_PROC_EP) return EPERM;
    int slot = slot_of(m->m.i[0]);
    if (slot < 0) return EINVAL;
    st.proc[slot].ep = m->m.i[0];
    st.proc[slot].mask = m->m.u[1];
    dirty = 1;
    return OK;
}

/* VM's label may not be published yet while RS sets the boot masks: DS
 * then refuses the save (EPERM), and it is tried again after every later
 * request until it succeeds. */
static void save_if_dirty(void)
{
    if (!dirty) return;
    int r = sef_state_save(&st, sizeof st);
    if (r == OK) dirty = 0;
    else if (r != EPERM) event("ev=vm_save_failed err=%d", r);
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

static int init_fresh(int type, const struct sef_init_info *info)
{
    (void)type; (void)info;
    clear_state();
    return OK;
}

static int init_restore(int type, const struct sef_init_info *info)
{
    (void)info;
    clear_state();
    int r = sef_state_restore(&st, sizeof st);
    int n = 0;
    if (r != (int)sizeof st || st.magic != VM_STATE_MAGIC) {
        /* nothing usable: RS must send the masks again */
        clear_state();
        event("ev=vm_restored masks=0 type=%d err=%d", type, r < 0 ? r : EINVAL);
        return OK;
    }
    for (int i = 0; i < NR_PROCS; i++) if (st.proc[i].ep != NONE) n++;
    event("ev=vm_restored masks=%d type=%d", n, type);
    return OK;
}

static int lu_prepare(int state)
{
    (void)state;
    dirty = 1;
    save_if_dirty();
    return dirty ? EAGAIN : OK;    /* not ready until the masks are safe */
}

int main(void)
{
    sef_setcb_stateful(init_fresh, init_restore, lu_prepare);
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
        save_if_dirty();
    }
}
