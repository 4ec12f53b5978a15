/* main.c - MEM, the RAM disk of program images: the boot modules. RS and
 * PM find a program by its label (MEM_FIND) and read its ELF file in parts
 * (MEM_READ) to start or restart a service without any file system. The
 * kernel's module table lists every module, program files ("noexec")
 * included, so that is what MEM searches. */
#include "../../include/fi.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

SEF_PROVIDES("mem");

/* MEM_FIND's reply puts the size in word 5, which MEM_READ calls MEM_ADDR */
#define MEM_SIZE   m.u[5]
#define CHUNK      4096u

static struct boot_image_entry mods[NR_BOOT_PROCS];
static int nr_mods;
static uint8_t chunk[CHUNK];

/* The module table never changes after boot; read it once per instance. */
static int load_modules(void)
{
    int r = sys_getinfo(GET_MODULES, mods, sizeof mods, 0, &nr_mods);
    if (r != OK) {
        nr_mods = 0;
        printf("MEM: cannot read the module table (%d)\n", r);
        return r;
    }
    if (nr_mods < 0 || nr_mods > NR_BOOT_PROCS) nr_mods = 0;
    for (int i = 0; i < nr_mods; i++) mods[i].name[PROC_NAME_LEN - 1] = 0;
    event("ev=mem_ready modules=%d", nr_mods);
    return OK;
}

static int do_find(message *m)
{
    const char *label = m->MEM_LABEL;
    int n = 0;
    while (n < LABEL_MAX && label[n]) n++;
    if (n == 0 || n == LABEL_MAX) return EINVAL;
    for (int i = 0; i < nr_mods; i++) {
        if (strcmp(mods[i].name, label)) continue;
        m->MEM_INDEX = mods[i].module;
        m->MEM_SIZE = mods[i].image_size;
        return OK;
    }
    return ENOENT;
}

static const struct boot_image_entry *module(int index)
{
    for (int i = 0; i < nr_mods; i++) if (mods[i].module == index) return &mods[i];
    return 0;
}

/* Copy len bytes from offset of module index to the caller's addr, through
 * a local buffer a page at a time. Reply MEM_LEN = bytes copied, which is
 * less than asked only at the end of the module. */
static int do_read(message *m)
{
    const struct boot_image_entry *b = module(m->MEM_INDEX);
    if (!b) return EINVAL;
    if (m->MEM_OFFSET < 0) return EINVAL;
    uint32_t off = (uint32_t)m->MEM_OFFSET, size = b->image_size, len = m->MEM_LEN;
    if (off > size) return EINVAL;
    if (len > EXEC_MAX_IMG) return E2BIG;
    if (len > size - off) len = size - off;
    uint32_t addr = m->MEM_ADDR, done = 0;
    if (addr + len < addr) return EFAULT;
    while (done < len) {
        uint32_t want = len - done < CHUNK ? len - done : CHUNK, total = 0;
        int n = sys_getbootmod(b->module, off + done, chunk, want, &total);
        if (n < 0) return n;
        if (n == 0 || (uint32_t)n > want) return EIO;
        int r = sys_vircopy(SELF, (uint32_t)chunk, m->m_source, addr + done, (uint32_t)n);
        if (r != OK) return r;
        done += (uint32_t)n;
    }
    m->MEM_LEN = done;
    return OK;
}

static int init_any(int type, const struct sef_init_info *info)
{
    (void)type; (void)info;
    return load_modules();
}

int main(void)
{
    /* no state beyond the kernel's table: every init type reloads it */
    sef_setcb_init_fresh(init_any);
    sef_setcb_init_restart(init_any);
    sef_setcb_init_lu(init_any);
    sef_setcb_lu_state_isvalid(sef_cb_lu_state_isvalid_standard);
    sef_setcb_lu_prepare(sef_cb_lu_prepare_always_ready);
    sef_startup();

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) continue;
        int r;
        FI_POINT("mem.request");
        switch (m.m_type) {
        case MEM_FIND: r = do_find(&m); break;
        case MEM_READ: r = do_read(&m); break;
        default:       r = ENOSYS; break;
        }
        sef_reply(&m, r);
    }
}
