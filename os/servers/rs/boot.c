/* boot.c - bringing up the boot services: check every boot process against
 * the table, copy its executable, set its privileges, then run the init
 * protocol in table order. A SYNCH_BOOT service must finish its init before
 * the next one starts; a boot service whose init fails or times out is
 * fatal. */
#include "rs.h"
#include "outbox.h"
#include "../../include/layout.h"

int booting = 1;
int def_period = DEF_PERIOD;
static struct boot_image_entry image[NR_BOOT_PROCS];
static int nr_image;

static int dbg_flags_from(const char *args)
{
    if (strstr(args, "sef_init=crash")) return SEF_DBG_INIT_CRASH;
    if (strstr(args, "sef_init=fail")) return SEF_DBG_INIT_FAIL;
    if (strstr(args, "sef_init=timeout")) return SEF_DBG_INIT_TIMEOUT;
    return 0;
}

static void prepare(const struct boot_image_entry *b, const struct rs_priv_entry *e)
{
    struct rproc *rp = rp_alloc(b->name);
    if (!rp) rs_panic("process table full", b->name);
    rp->tab = e;
    rp->proc_nr = b->proc_nr;
    rp->pub.endpoint = b->endpoint;
    rp->pub.flags |= RSF_BOOT;
    rp->pub.policy = e->policy;
    rp->pub.period = e->period == 0 ? def_period : e->period < 0 ? 0 : e->period;
    rp->dbg_flags = dbg_flags_from(b->args);
    strlcpy(rp->args, b->args, sizeof rp->args);
    if ((rp->img = image_load(b->name)) < 0) rs_panic("cannot copy executable of", b->name);

    /* prove the process has not run: crt0 bumps this as it starts */
    uint32_t count = 0xffffffff;
    if (sys_vircopy(b->endpoint, USER_INFO_ADDR, SELF, (uint32_t)&count, 4) != OK)
        rs_panic("cannot read start counter of", b->name);
    event("ev=prestart proc=%s ep=%d start_count=%u", b->name, b->endpoint, count);
    if (count != 0) rs_panic("boot process ran before RS allowed it", b->name);
}

/* RS's own slot, first in its table: its process is running (it is this
 * one), so nothing of prepare() applies but the executable copy. */
static void prepare_self(const struct boot_image_entry *b, const struct rs_priv_entry *e)
{
    struct rproc *rp = rp_alloc(b->name);
    if (!rp) rs_panic("process table full", b->name);
    rp->tab = e;
    rp->proc_nr = b->proc_nr;
    rp->pub.endpoint = b->endpoint;
    rp->pub.flags |= RSF_BOOT | RSF_ACTIVE;
    rp->pub.policy = e->policy;
    rp->pub.period = 0;
    strlcpy(rp->args, b->args, sizeof rp->args);
    if ((rp->img = image_load(b->name)) < 0) rs_panic("cannot copy executable of", b->name);
}

/* RS's own boot arguments: `period=N` sets the default heartbeat period
 * in ticks (an experiment may watch for hangs at its own pace). */
static void own_args(void)
{
    for (int i = 0; i < nr_image; i++) {
        if (image[i].proc_nr != RS_PROC_NR) continue;
        const char *p = strstr(image[i].args, "period=");
        if (!p) return;
        int n = atoi(p + 7);
        if (n > 0) def_period = n;
        event("ev=rs_config period=%d", def_period);
    }
}

void boot_services(void)
{
    if (sys_getinfo(GET_IMAGE, image, sizeof image, 0, &nr_image) != OK)
        rs_panic("cannot read boot image", "kernel");
    own_args();
    /* every boot process must have a priv entry: check all before any runs */
    for (int i = 0; i < nr_image; i++)
        if (image[i].proc_nr != RS_PROC_NR && !rs_priv_lookup(image[i].name))
            rs_panic("no priv table entry for boot process", image[i].name);

    /* table order, not image order: the image order carries no meaning */
    for (const struct rs_priv_entry *e = rs_priv_table; e->label; e++)
        for (int i = 0; i < nr_image; i++)
            if (!strcmp(image[i].name, e->label)) {
                if (e->sys_flags & SF_SELF) prepare_self(&image[i], e);
                else prepare(&image[i], e);
            }
    /* privileges next, once every boot process has its slot known */
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (!(rp->pub.flags & RSF_IN_USE) || (rp->tab->sys_flags & SF_SELF)) continue;
        int r;
        if (rp->tab->sys_flags & SF_USER) r = sys_privctl(rp->pub.endpoint, PRIV_SET_USER, 0);
        else {
            priv_spec_t s;
            rp_spec(rp, &s, rp->proc_nr);
            r = sys_privctl(rp->pub.endpoint, PRIV_SET_SYS, &s);
        }
        if (r != OK) rs_panic("cannot set privileges of", rp->pub.label);
    }
    sys_setalarm(RS_TICK, 0);

    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if (!(rp->pub.flags & RSF_IN_USE) || (rp->tab->sys_flags & SF_SELF)) continue;
        now = sys_uptime();
        if (rp->tab->sys_flags & SF_NOSEF) {
            init_done(rp, OK);
        } else {
            rp->init_type = SEF_INIT_FRESH;
            rp->flags |= RP_INITIALIZING;
            rp->init_deadline = now + INIT_TIMEOUT;
            event("ev=init_start label=%s ep=%d synch=%d", rp->pub.label, rp->pub.endpoint,
                  (rp->tab->sys_flags & SF_SYNCH_BOOT) != 0);
        }
        if (!(rp->tab->sys_flags & SF_AFTER_BOOT) &&
            sys_privctl(rp->pub.endpoint, PRIV_ALLOW, 0) != OK)
            rs_panic("cannot allow", rp->pub.label);
        if (rp->tab->sys_flags & SF_SYNCH_BOOT)
            while (rp->flags & RP_INITIALIZING) rs_loop_once();
        /* VM and PM learn about the boot services once they run */
        message vm = { .m_type = VM_SET_MASK };
        vm.m.i[0] = rp->pub.endpoint;
        vm.m.u[1] = rp->tab->vm_calls;
        outbox_post(VM_PROC_EP, &vm);
        message pm = { .m_type = PM_SRV_START };
        pm.PM_PID = rp->pub.endpoint;
        strlcpy(pm.PM_NAME, rp->pub.label, LABEL_MAX);
        outbox_post(PM_PROC_EP, &pm);
    }
    for (;;) {
        int waiting = 0;
        for (int i = 0; i < NR_SERVICES; i++)
            if ((rproc[i].pub.flags & RSF_IN_USE) && (rproc[i].flags & RP_INITIALIZING)) waiting = 1;
        if (!waiting) break;
        rs_loop_once();
    }
    booting = 0;
    int n = 0;
    for (int i = 0; i < NR_SERVICES; i++) if (rproc[i].pub.flags & RSF_IN_USE) n++;
    event("ev=ready services=%d", n);
    /* the scenario driver starts on a system that is up, at a point the
     * guest defines, so every experiment begins from the same state */
    for (int i = 0; i < NR_SERVICES; i++) {
        struct rproc *rp = &rproc[i];
        if ((rp->pub.flags & RSF_IN_USE) && (rp->tab->sys_flags & SF_AFTER_BOOT) &&
            sys_privctl(rp->pub.endpoint, PRIV_ALLOW, 0) != OK)
            rs_panic("cannot allow", rp->pub.label);
    }
}
