/* boot.c - bringing up the boot services: check every boot process against
 * the table, copy its executable, set its privileges, then run the init
 * protocol in table order. A SYNCH_BOOT service must finish its init before
 * the next one starts; a boot service whose init fails or times out is
 * fatal. */
#include "rs.h"
#include "../../include/layout.h"

int booting = 1;
int def_period = DEF_PERIOD;
static int boot_delay;          /* ticks RS sleeps before configuring anyone */
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
    /* RS configures a process the kernel built; a program file is PM's */
    if (!(b->flags & PROC_FULLVM)) rs_panic("boot process without its own address space", b->name);
    struct rproc *rp = rp_alloc(e);
    if (!rp) rs_panic("process table full", b->name);
    rp->proc_nr = b->proc_nr;
    rp->pub.endpoint = b->endpoint;
    rp->pub.flags |= RSF_BOOT;
    rp->pub.policy = e->policy;
    rp->pub.period = e->period == 0 ? def_period : e->period < 0 ? 0 : e->period;
    rp->period_dflt = e->period == 0;
    rp->dbg_flags = dbg_flags_from(b->args);
    pm_expect(rp);
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
    struct rproc *rp = rp_alloc(e);
    if (!rp) rs_panic("process table full", b->name);
    rp->proc_nr = b->proc_nr;
    rp->pub.endpoint = b->endpoint;
    rp->pub.flags |= RSF_BOOT | RSF_ACTIVE;
    rp->pub.policy = e->policy;
    rp->pub.period = 0;
    pm_expect(rp);
    strlcpy(rp->args, b->args, sizeof rp->args);
    if ((rp->img = image_load(b->name)) < 0) rs_panic("cannot copy executable of", b->name);
}

/* RS's own boot arguments: `period=N` sets the default heartbeat period
 * in ticks (an experiment may watch for hangs at its own pace);
 * `boot_delay=N` makes RS block N ticks before it configures anyone, so a
 * test can show that no boot process runs meanwhile. */
/* `policy=LABEL:reset|restart` (several allowed): that boot service's
 * recovery policy for this run, over the sys table's (an experiment that
 * checks a policy says which: campaigns' `policy=`). */
static void policy_args(const char *args)
{
    for (const char *p = args; (p = strstr(p, "policy=")) != 0; ) {
        p += 7;
        char label[LABEL_MAX] = "";
        int n = 0;
        while (*p && *p != ':' && *p != ' ' && n < LABEL_MAX - 1) label[n++] = *p++;
        label[n] = 0;
        if (*p != ':') continue;
        p++;
        int pol = !strncmp(p, "restart", 7) ? RS_POLICY_RESTART
                : !strncmp(p, "reset", 5) ? RS_POLICY_RESET : -1;
        struct rproc *rp = rp_by_label(label);
        if (pol < 0 || !rp || (rp->tab->sys_flags & SF_SELF) ||
            (pol == RS_POLICY_RESET && (rp->tab->sys_flags & SF_FIXED_EP))) {
            event("ev=rs_config_refused arg=policy label=%s", label);
            continue;
        }
        rp->pub.policy = pol;
        event("ev=policy_set label=%s policy=%s", label, pol == RS_POLICY_RESET ? "reset" : "restart");
    }
}

static void own_args(void)
{
    for (int i = 0; i < nr_image; i++) {
        if (image[i].proc_nr != RS_PROC_NR) continue;
        const char *p = strstr(image[i].args, "period=");
        const char *d = strstr(image[i].args, "boot_delay=");
        if (d) boot_delay = atoi(d + 11);
        if (!p && !d) return;
        int n = p ? atoi(p + 7) : 0;
        if (n > 0) def_period = n;
        event("ev=rs_config period=%d boot_delay=%d", def_period, boot_delay);
    }
}

/* The boot image must make a whole system: every module once, and every
 * core service present, unless none is (a bare image of kernel test
 * programs). A system without, say, DS would come up and then fail on
 * every lookup; better to stop at once and say what is missing. */
static void check_image(void)
{
    static struct boot_image_entry mods[NR_BOOT_PROCS];
    int n = 0;
    if (sys_getinfo(GET_MODULES, mods, sizeof mods, 0, &n) != OK)
        rs_panic("cannot read boot modules", "kernel");
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(mods[i].name, mods[j].name)) rs_panic("duplicate boot module", mods[i].name);
    int core = 0, present = 0;
    for (const struct rs_priv_entry *e = rs_priv_table; e->label; e++) {
        if (!(e->sys_flags & SF_CORE) || (e->sys_flags & SF_SELF)) continue;
        core++;
        for (int i = 0; i < nr_image; i++) if (!strcmp(image[i].name, e->label)) { present++; break; }
    }
    if (present == 0) { event("ev=boot_image kind=bare core=0"); return; }
    for (const struct rs_priv_entry *e = rs_priv_table; e->label; e++) {
        if (!(e->sys_flags & SF_CORE) || (e->sys_flags & SF_SELF)) continue;
        int found = 0;
        for (int i = 0; i < nr_image; i++) if (!strcmp(image[i].name, e->label)) found = 1;
        if (!found) rs_panic("core service missing from the boot image", e->label);
    }
    event("ev=boot_image kind=system core=%d", core);
}

/* RS's own arguments again, for an RS the guardian restarted */
void boot_read_args(void)
{
    if (sys_getinfo(GET_IMAGE, image, sizeof image, 0, &nr_image) != OK)
        rs_panic("cannot read boot image", "kernel");
    own_args();
    if (period_set > 0) def_period = period_set;     /* set since the boot: still in force */
}

void boot_services(void)
{
    if (sys_getinfo(GET_IMAGE, image, sizeof image, 0, &nr_image) != OK)
        rs_panic("cannot read boot image", "kernel");
    own_args();
    check_image();
    if (boot_delay > 0) {
        message m;
        sys_setalarm((uint32_t)boot_delay, 0);
        ipc_receive(CLOCK, &m);
        event("ev=boot_delay_done ticks=%d", boot_delay);
    }
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
    for (int i = 0; i < nr_image; i++)
        if (image[i].proc_nr == RS_PROC_NR) policy_args(image[i].args);
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
            init_done(rp, OK, 0);
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
    }
    for (;;) {
        int waiting = 0;
        for (int i = 0; i < NR_SERVICES; i++)
            if ((rproc[i].pub.flags & RSF_IN_USE) && (rproc[i].flags & RP_INITIALIZING)) waiting = 1;
        if (!waiting) break;
        rs_loop_once();
    }
    booting = 0;
    rs_kept_magic = RS_KEPT_MAGIC;       /* the kept table is whole from here on */
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
