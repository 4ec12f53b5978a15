/* ktest.c - kernel test driver. Runs the scenario named by its argument
 * against peer, victim and lonely, prints one "check" event per assertion
 * and a "test_done" event, then shuts the machine down: clean halt if every
 * check held, test failure otherwise. The host tests read these events. */
#include "testproto.h"
#include "../include/layout.h"
#include "../include/services.h"

static int failures, checks;
static int peer, victim, lonely;

static void check(const char *name, int got, int want)
{
    checks++;
    if (got != want) failures++;
    event("ev=check name=%s ok=%d got=%d want=%d", name, got == want, got, want);
}

static int ping(int ep, int v)
{
    message m = { .m_type = T_PING };
    m.m.i[0] = v;
    int r = ipc_sendrec(ep, &m);
    return r != OK ? r : m.m.i[0];
}

/* wait n ticks, receiving only the CLOCK's notification */
static void sleep_ticks(uint32_t n)
{
    message m;
    sys_setalarm(n, 0);
    ipc_receive(CLOCK, &m);
}

static int proc_state(int ep, uint32_t *rts)
{
    static struct proc_info tab[NR_TASKS + NR_PROCS];
    int n = 0;
    if (sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &n) != OK) return -1;
    for (int i = 0; i < n; i++)
        if (tab[i].endpoint == ep) { *rts = tab[i].rts_flags; return 0; }
    return -1;
}

static void t_ipc(void)
{
    check("sendrec_roundtrip", ping(peer, 41), 42);
    message m = { .m_type = T_PING };
    m.m.i[0] = 7;
    check("send_ok", ipc_send(peer, &m), OK);
    check("receive_reply", ipc_receive(peer, &m), OK);
    check("reply_payload", m.m.i[0], 8);
    check("reply_source", m.m_source, peer);
}

/* IPC calls the kernel's fast path has done so far (ipc_fast.c), and
 * of those the ones done on its lean path (trap.c) */
static int fast_calls_on(int lean)
{
    struct kinfo k;
    int n = 0;
    if (sys_getinfo(GET_KINFO, &k, sizeof k, 0, &n) != OK || n != 1) return -1;
    return (int)(lean ? k.ipc_lean : k.ipc_fast);
}
static int fast_calls(void) { return fast_calls_on(0); }

/* Issue 23: the cases the IPC fast path takes (partner waiting) are taken
 * by it, and end as the general path ends them: the reply with every
 * payload word, a refusal for a sender without the right, EDEADSRCDST for
 * a dead partner and for a partner that dies before it answers. Run with
 * victim muteexit. */
static void fast_refusals(void);

static void t_fastipc(void)
{
    int f0 = fast_calls(), l0 = fast_calls_on(1);
    message m = { .m_type = T_PING };
    for (int i = 0; i < MSG_PAYLOAD_WORDS; i++) m.m.i[i] = 1000 * i + 7;
    check("fast_roundtrip", ipc_sendrec(peer, &m), OK);
    int f1 = fast_calls(), l1 = fast_calls_on(1);
    /* which of them went without a recovery point: the test says what it
     * expects of the faults it armed */
    event("ev=ipc_paths fast=%d lean=%d", f1 - f0, l1 - l0);
    /* our SENDREC, peer's reply and peer's next RECEIVE */
    check("fast_path_taken", f0 >= 0 && f1 - f0 >= 3, 1);
    check("fast_reply_source", m.m_source, peer);
    check("fast_reply_type", m.m_type, OK);
    int same = m.m.i[0] == 8;
    for (int i = 1; i < MSG_PAYLOAD_WORDS; i++) same &= m.m.i[i] == 1000 * i + 7;
    check("fast_payload_intact", same, 1);
    /* SEND, then RECEIVE into a fresh buffer: every word comes back */
    message r;
    memset(&r, 0, sizeof r);
    m.m_type = T_PING;
    m.m.i[0] = 7;
    check("fast_send", ipc_send(peer, &m), OK);
    check("fast_receive", ipc_receive(peer, &r), OK);
    same = r.m_source == peer && r.m_type == OK && r.m.i[0] == 8;
    for (int i = 1; i < MSG_PAYLOAD_WORDS; i++) same &= r.m.i[i] == 1000 * i + 7;
    check("fast_reply_whole", same, 1);
    /* lonely may not send to peer, which waits for anyone: refused */
    m.m_type = T_GO;
    check("lonely_result", ipc_sendrec(lonely, &m), OK);
    check("lonely_send_denied", m.m.i[0], ECALLDENIED);
    m.m_type = T_COUNT_FROM;
    m.m.i[0] = lonely;
    check("peer_saw_nothing_from_lonely", ipc_sendrec(peer, &m) == OK ? m.m.i[0] : -1, 0);
    /* victim takes our request and exits without answering: told at once */
    int old = victim;
    check("victim_alive", ping(victim, 1), 2);
    m.m_type = T_GO;
    check("told_of_death", ipc_sendrec_timed(victim, &m, 1000), EDEADSRCDST);
    m.m_type = T_PING;
    check("sendrec_to_dead", ipc_sendrec(old, &m), EDEADSRCDST);
    check("roundtrip_after", ping(peer, 1), 2);
    fast_refusals();
}

static void t_notify(void)
{
    message m = { .m_type = T_NOTIFY_THRICE };
    check("ask_notify", ipc_sendrec(peer, &m), OK);
    sleep_ticks(2);                    /* peer notifies us three times meanwhile */
    check("first_notify", ipc_receive(ANY, &m), OK);
    check("first_is_notify", is_notify(&m) && m.m_source == peer, 1);
    /* the other two coalesced into the first: the next one is the clock's */
    sys_setalarm(1, 0);
    check("next_receive", ipc_receive(ANY, &m), OK);
    check("next_is_clock", m.m_source, CLOCK);
}

/* An alarm so far ahead that the kernel's ticks + it wraps: due at once,
 * fired by the next tick's clock. Sound, so the kernel's alarm audit
 * (alarm_audit.c) must not take it for one the clock let pass. */
static void t_alarmwrap(void)
{
    message m;
    sleep_ticks(2);                    /* ticks > 0: ticks - 1 does not wrap */
    sys_setalarm(0xffffffffu, 0);      /* due at ticks - 1 */
    check("wrapped_alarm_fires", ipc_receive(CLOCK, &m), OK);
    check("wrapped_alarm_from_clock", m.m_source, CLOCK);
    sleep_ticks(1);                    /* and the next audits after it */
    sleep_ticks(1);
}

static void t_dead(void)
{
    int old = victim;
    message m = { .m_type = T_GO };
    check("victim_alive", ping(victim, 1), 2);
    check("go", ipc_sendrec(victim, &m), OK);   /* victim exits after replying */
    sleep_ticks(2);
    m.m_type = T_PING;
    check("send_to_dead", ipc_send(old, &m), EDEADSRCDST);
    check("sendrec_to_dead", ipc_sendrec(old, &m), EDEADSRCDST);
    check("next_generation", ipc_send(MAKE_EP(EP_GEN(old) + 1, EP_SLOT(old)), &m), EDEADSRCDST);
    check("bad_slot", ipc_send(MAKE_EP(0, NR_PROCS + 5), &m), EINVAL);
}

/* Issue 22: a SENDREC whose server takes the request and then dies is
 * told at once (EDEADSRCDST), long before its deadline; one whose server
 * takes it and never answers ends at its deadline (ETIMEDOUT, and the
 * kernel's ipc_timeout event), and IPC with that server goes on. */
static void t_deadsrc(void)
{
    message m = { .m_type = T_GO };
    check("victim_alive", ping(victim, 1), 2);
    uint32_t t0 = sys_uptime();
    check("told_of_death", ipc_sendrec_timed(victim, &m, 1000), EDEADSRCDST);
    uint32_t waited = sys_uptime() - t0;
    check("blocked_while_it_worked", waited >= 1, 1);
    check("told_before_the_deadline", waited < 1000, 1);
}

static void t_timeout(void)
{
    message m = { .m_type = T_GO };
    check("victim_alive", ping(victim, 1), 2);
    uint32_t t0 = sys_uptime();
    check("reply_timed_out", ipc_sendrec_timed(victim, &m, 50), ETIMEDOUT);
    uint32_t waited = sys_uptime() - t0;
    check("waited_the_deadline", waited >= 50 && waited <= 52, 1);
    /* the server, which never answered, serves the next request */
    check("asked_again", ping(victim, 5), 6);
    /* a deadline that is not reached changes nothing */
    m.m_type = T_PING; m.m.i[0] = 9;
    check("timed_roundtrip", ipc_sendrec_timed(victim, &m, 50), OK);
    check("timed_answer", m.m.i[0], 10);
    /* nor does that call's deadline outlive it: a wait past it (a plain
     * receive) and an untimed SENDREC after it end as they should */
    sleep_ticks(60);
    check("no_stale_deadline", ping(victim, 7), 8);
}

/* This process's record of refused answers as the kernel keeps it */
static int refusals(int *from, int *type)
{
    static struct proc_info tab[NR_TASKS + NR_PROCS];
    int n = 0, self = boot_ep("ktest");
    if (sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &n) != OK) return -1;
    for (int i = 0; i < n; i++)
        if (tab[i].endpoint == self) {
            *from = tab[i].refused_ep;
            *type = tab[i].refused_type;
            return (int)tab[i].refused_n;
        }
    return -1;
}

static int ask(int ep, int type);

/* peer's replies take the fast path: its refusals are counted there too,
 * and its next answer ends the streak */
static void fast_refusals(void)
{
    int from = NONE, type = 0, f0 = fast_calls();
    check("fast_refused", ask(peer, T_REFUSE), ENOSYS);
    check("fast_refused_again", ask(peer, T_REFUSE), ENOSYS);
    check("fast_path_refusals", fast_calls() - f0 >= 4, 1);
    check("fast_counted", refusals(&from, &type), 2);
    check("fast_counted_from_peer", from, peer);
    check("fast_counted_type", type, T_REFUSE);
    check("fast_answer_ends_streak", ping(peer, 1) == 2 && refusals(&from, &type) == 0, 1);
}

static int ask(int ep, int type)
{
    message m = { .m_type = type };
    int r = ipc_sendrec_timed(ep, &m, 500);
    return r != OK ? r : m.m_type;
}

/* Refused answers (issue 22), in the whole system: the kernel counts
 * echo's ENOSYS answers in a row, and RS acts on a complaint of refused
 * answers only when that count is there and the refused request is one
 * echo's protocol serves; here echo refuses, rightly, a type it does not
 * have, so every complaint is refused and echo serves on. */
static void t_refused(void)
{
    int echo = boot_ep("echo"), from = NONE, type = 0;
    check("echo_serves", ask(echo, ECHO_ECHO), OK);
    check("no_streak", refusals(&from, &type), 0);
    check("no_evidence_refused", rs_complain(echo, COMPLAIN_REFUSED), EINVAL);
    for (int i = 0; i < COMPLAIN_REFUSALS; i++)
        check("not_echos_call", ask(echo, ECHO_LAST + 0x40), ENOSYS);
    check("kernel_counted", refusals(&from, &type), COMPLAIN_REFUSALS);
    check("counted_from_echo", from, echo);
    check("counted_type", type, ECHO_LAST + 0x40);
    check("unserved_call_refused", rs_complain(echo, COMPLAIN_REFUSED), EINVAL);
    check("unknown_reason_refused", rs_complain(echo, 7), EINVAL);
    check("lost_reply_refused", rs_complain(echo, COMPLAIN_LOST_REPLY), EINVAL);
    /* any other answer from echo ends the streak */
    check("echo_still_serves", ask(echo, ECHO_ECHO), OK);
    check("answer_ends_streak", refusals(&from, &type), 0);
}

static void t_deadlock(void)
{
    message m = { .m_type = T_SEND_BACK };
    check("ask_send_back", ipc_sendrec(peer, &m), OK);
    sleep_ticks(1);                    /* peer now blocks sending to us */
    uint32_t rts = 0;
    proc_state(peer, &rts);
    check("peer_blocked_sending", (rts & RTS_SENDING) != 0, 1);
    m.m_type = T_PING;
    check("send_cycle_refused", ipc_send(peer, &m), ELOCKED);
    check("sendrec_cycle_refused", ipc_sendrec(peer, &m), ELOCKED);
    check("take_peer_message", ipc_receive(peer, &m), OK);
    check("roundtrip_after", ping(peer, 1), 2);
}

static void t_denied(void)
{
    message m = { .m_type = T_GO };
    check("lonely_result", ipc_sendrec(lonely, &m), OK);
    check("lonely_send_denied", m.m.i[0], ECALLDENIED);
    check("lonely_privctl_denied", m.m.i[1], ECALLDENIED);
    check("lonely_notify_denied", m.m.i[2], ECALLDENIED);
    m.m_type = T_COUNT_FROM;
    m.m.i[0] = lonely;
    check("peer_saw_nothing_from_lonely", ipc_sendrec(peer, &m) == OK ? m.m.i[0] : -1, 0);
    check("ipc_to_kernel_task", ipc_send(SYSTEM, &m), ETRAPDENIED);
    check("send_to_self", ipc_send(SELF, &m), ELOCKED);
}

static void t_fault(void)
{
    message m = { .m_type = T_GO };
    check("victim_alive", ping(victim, 1), 2);
    check("go", ipc_sendrec(victim, &m), OK);      /* it faults right after */
    int gone = 0;
    for (int i = 0; i < 50 && !gone; i++) {
        uint32_t rts;
        gone = proc_state(victim, &rts) != 0 || (rts & RTS_SLOT_FREE);
        if (!gone) sleep_ticks(1);
    }
    check("victim_removed_by_manager", gone, 1);
    check("victim_dead", ping(victim, 1), EDEADSRCDST);
    check("roundtrip_after_fault", ping(peer, 10), 11);
}

static uint32_t user_ticks_of(int ep)
{
    static struct proc_info tab[NR_TASKS + NR_PROCS];
    int n = 0;
    sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &n);
    for (int i = 0; i < n; i++) if (tab[i].endpoint == ep) return tab[i].user_ticks;
    return 0;
}

/* Preemption: victim spins for ever at our priority and never yields; we
 * spin too. Only the clock can take the CPU from either of us, so if we
 * get it back and both of us used CPU time, scheduling is preemptive and
 * round robin. */
static void t_sched(void)
{
    message m = { .m_type = T_GO };
    check("go", ipc_sendrec(victim, &m), OK);       /* it spins from now on */
    uint32_t mine0 = user_ticks_of(boot_ep("ktest"));
    uint32_t theirs0 = user_ticks_of(victim);
    uint32_t t0 = sys_uptime();
    while (sys_uptime() < t0 + 60) ;                 /* 60 ticks of wall time */
    uint32_t mine = user_ticks_of(boot_ep("ktest")) - mine0;
    uint32_t theirs = user_ticks_of(victim) - theirs0;
    event("ev=sched ktest_ticks=%u victim_ticks=%u wall=%u", mine, theirs, sys_uptime() - t0);
    check("victim_got_cpu", theirs >= 15, 1);
    check("ktest_shared_cpu", mine < 50, 1);
    /* the spinner is RS's to end, not ours: the kernel refuses us, RS
     * obeys us (ktest has the service-manager right) */
    check("no_authority_over_spinner", sys_exit_proc(victim), EPERM);
    message down = { .m_type = RS_DOWN };
    strlcpy(down.SRV_LABEL, "victim", LABEL_MAX);
    check("rs_reaps_spinner", ipc_sendrec(RS_PROC_EP, &down) == OK ? down.m_type : -999, OK);
    check("roundtrip_after", ping(peer, 1), 2);
}

static void t_badptr(void)
{
    static uint32_t buf[4];
    uint32_t me = (uint32_t)buf;
    check("copy_from_kernel", sys_vircopy(SELF, 0x100000, SELF, me, 4), EFAULT);
    check("copy_to_kernel", sys_vircopy(SELF, me, SELF, 0x100000, 4), EFAULT);
    check("copy_from_null", sys_vircopy(SELF, 0, SELF, me, 4), EFAULT);
    check("copy_unmapped", sys_vircopy(SELF, 0x60000000, SELF, me, 4), EFAULT);
    check("copy_to_text", sys_vircopy(SELF, me, SELF, (uint32_t)&t_badptr, 4), EFAULT);
    check("copy_wraps", sys_vircopy(SELF, 0xfffffff0, SELF, me, 64), EFAULT);
    check("copy_too_long", sys_vircopy(SELF, me, SELF, me, VIRCOPY_MAX + 1), E2BIG);
    check("copy_past_end", sys_vircopy(SELF, me, SELF, me, 0x100000), EFAULT);
    check("copy_bad_endpoint", sys_vircopy(12345678, me, SELF, me, 4), EINVAL);
    check("copy_from_task", sys_vircopy(SYSTEM, me, SELF, me, 4), EPERM);
    check("diag_bad_pointer", sys_diag((const char *)0x1000, 10, 0), EFAULT);
    check("diag_too_long", sys_diag("x", 100000, 0), E2BIG);
    check("kcall_null_message", kernel_call(0), EFAULT);
    check("kcall_kernel_message", kernel_call((message *)0x100000), EFAULT);
    message m = {0};
    m.m_type = 999;
    check("kcall_unknown", kernel_call(&m), EBADREQUEST);
    check("ipc_null_message", ipc_call(IPC_SEND, peer, 0), EFAULT);
    check("ipc_receive_into_text", ipc_call(IPC_RECEIVE, ANY, (message *)&t_badptr), EFAULT);
    check("ipc_bad_call", ipc_call(77, peer, &m), EBADCALL);
    check("getinfo_bad_buffer", sys_getinfo(GET_PROCTAB, (void *)0x50000000, 4096, 0, 0), EFAULT);
    check("getinfo_bad_request", sys_getinfo(12345, buf, sizeof buf, 0, 0), EINVAL);
    /* arguments are checked on a process we made (a blank child) */
    int child = NONE;
    check("fork_blank", sys_fork(SELF, -1, FORK_BLANK, &child), OK);
    check("privctl_bad_request", sys_privctl(child, 99, 0), EINVAL);
    check("exec_bad_image", sys_exec(child, (void *)0x100000, 100, "x"), EFAULT);
    check("kill_bad_signal", sys_kill(child, 1000), EINVAL);
    check("reap_blank_child", sys_exit_proc(child), OK);
    /* and on processes RS manages we have no authority at all */
    check("privctl_not_ours", sys_privctl(victim, PRIV_SET_SYS, 0), EPERM);
    check("exec_not_ours", sys_exec(victim, (void *)0x100000, 100, "x"), EPERM);
    check("kill_not_ours", sys_kill(peer, SIGTERM), EPERM);
    check("stop_not_ours", sys_stop(peer, 1), EPERM);
    check("exit_not_ours", sys_exit_proc(peer), EPERM);
    check("exit_rs", sys_exit_proc(RS_PROC_EP), EPERM);
    check("fork_from_not_ours", sys_fork(peer, -1, 0, &child), EPERM);
    check("roundtrip_after", ping(peer, 1), 2);
}

static void t_prestart(void)
{
    uint32_t mine = *(volatile uint32_t *)USER_INFO_ADDR, theirs = 0;
    check("own_start_count", (int)mine, 1);
    check("peer_answers", ping(peer, 1), 2);        /* so it has run */
    check("read_peer_count", sys_vircopy(peer, USER_INFO_ADDR, SELF, (uint32_t)&theirs, 4), OK);
    check("peer_start_count", (int)theirs, 1);
}

/* fork + exec of the victim's boot image into a new process that ktest
 * configures and manages itself (signal manager = ktest) */
static void t_spawn(void)
{
    static uint8_t img[256 * 1024];
    static struct boot_image_entry tab[NR_BOOT_PROCS];
    int n = 0, mod = -1;
    sys_getinfo(GET_IMAGE, tab, sizeof tab, 0, &n);
    for (int i = 0; i < n; i++) if (!strcmp(tab[i].name, "victim")) mod = tab[i].module;
    uint32_t total = 0;
    int got = sys_getbootmod(mod, 0, img, sizeof img, &total);
    check("bootmod_copied", got > 0 && (uint32_t)got == total, 1);
    int child = NONE;
    check("fork", sys_fork(SELF, -1, 0, &child), OK);
    uint32_t rts = 0;
    proc_state(child, &rts);
    check("child_no_priv", (rts & RTS_NO_PRIV) != 0, 1);
    check("exec_garbage", sys_exec(child, "not an elf file at all", 22, "junk"), ENOEXEC);
    check("exec", sys_exec(child, img, total, "spawned ud"), OK);
    check("allow_before_priv", sys_privctl(child, PRIV_ALLOW, 0), EPERM);
    check("set_sys_bad_spec", sys_privctl(child, PRIV_SET_SYS, (void *)0x100000), EFAULT);
    check("set_sys", sys_privctl(child, PRIV_SET_SYS, 0), OK);
    check("allow", sys_privctl(child, PRIV_ALLOW, 0), OK);
    check("child_ping", ping(child, 5), 6);
    message m = { .m_type = T_GO };
    check("child_go", ipc_sendrec(child, &m), OK);   /* child executes ud2 */
    check("manager_notified", ipc_receive(SYSTEM, &m), OK);
    int ep; uint32_t map;
    check("getksig", sys_getksig(&ep, &map, 0, 0), OK);
    check("ksig_endpoint", ep, child);
    check("ksig_sigill", (int)map, (int)SIGBIT(SIGILL));
    check("reap_child", sys_exit_proc(child), OK);
    check("child_dead", ping(child, 1), EDEADSRCDST);
}

/* Round trips to peer, timed by virtual time (under -icount shift=0 one
 * nanosecond is one guest instruction) and by the TSC (cycles under KVM). */
static void t_bench(int n)
{
    message t0, t1;
    ping(peer, 0);
    sys_times(&t0);
    uint64_t c0 = sys_tsc();
    for (int i = 0; i < n; i++) ping(peer, i);
    uint64_t c1 = sys_tsc();
    sys_times(&t1);
    event("ev=bench what=ipc_roundtrip n=%d usec_total=%u tsc_total=%llu",
          n, t1.T_USEC - t0.T_USEC, (unsigned long long)(c1 - c0));
    check("bench_ran", n > 0, 1);
}

/* ---- fuzz: random kernel calls and IPC with hostile arguments ---------
 * Every call must come back with OK or a known error code, the kernel must
 * not panic, and IPC must still work afterwards. Kernel calls may name any
 * live process but this one: ending, stopping, signalling, exec'ing or
 * reconfiguring RS's processes must be refused (we are not their manager),
 * and the fuzz_done event counts those attempts. IPC and memory copies
 * aimed at a live process are swapped for a dead one (a blocking receive
 * from a live peer could wait forever; a copy into RS's memory would be a
 * test of VIRCOPY's holders, not of the kernel), and pointers that fall
 * inside this program are swapped for a scratch buffer. */
static uint32_t rng;
static uint32_t rnd(void) { rng = rng * 1103515245u + 12345u; return (rng >> 8) ^ (rng << 13); }
static uint8_t scratch[8192];
static int live_eps[NR_TASKS + NR_PROCS], nr_live;

static int is_live(int ep)
{
    if (ep == SELF) return 1;
    for (int i = 0; i < nr_live; i++) if (live_eps[i] == ep) return 1;
    return 0;
}

static int hostile_ep(void)
{
    static const int pick[] = { ANY, NONE, -1, 0x7fffffff, (int)0x80000000,
                                MAKE_EP(3, 40), MAKE_EP(1, 15), NR_PROCS + 3, -NR_TASKS - 1 };
    int ep = (rnd() & 1) ? pick[rnd() % (sizeof pick / sizeof pick[0])] : (int)rnd();
    return is_live(ep) ? MAKE_EP(EP_MAX_GEN, 60) : ep;
}

static int self_ep;

/* For a kernel call: a third of the time a live process other than us
 * (RS among them), otherwise as hostile_ep. */
static int target_ep(void)
{
    if (rnd() % 3 == 0 && nr_live) {
        int ep = live_eps[rnd() % nr_live];
        if (ep != self_ep) return ep;
    }
    return hostile_ep();
}

static uint32_t hostile_ptr(void)
{
    static const uint32_t pick[] = { 0, 0x1000, 0x100000, 0x3ffff000, 0x60000000,
                                     0xbfffe000, 0xfffffff0, 0xc0000000 };
    uint32_t a;
    switch (rnd() % 3) {
    case 0: a = pick[rnd() % (sizeof pick / sizeof pick[0])]; break;
    case 1: a = (uint32_t)scratch + rnd() % sizeof scratch; break;
    default: a = rnd(); break;
    }
    /* never this program's own code, data or stack */
    if ((a >= USER_BASE && a < USER_BASE + (1u << 20)) ||
        (a >= USER_STACK_TOP - USER_STACK_SIZE && a < USER_STACK_TOP))
        a = (uint32_t)scratch;
    return a;
}

static int known_result(int r)
{
    static const int codes[] = { OK, EPERM, ENOENT, ESRCH, EINTR, EIO, E2BIG, ENOEXEC, EAGAIN,
        ENOMEM, EFAULT, EBUSY, EEXIST, EINVAL, ENOSPC, ENOSYS, ETIMEDOUT, ELOCKED, EBADCALL,
        ECALLDENIED, ETRAPDENIED, EDEADSRCDST, ENOTREADY, EBADREQUEST };
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) if (codes[i] == r) return 1;
    return 0;
}

static void t_fuzz(int n, uint32_t seed)
{
    static struct proc_info tab[NR_TASKS + NR_PROCS];
    int cnt = 0, hist_ok = 0, hist_err = 0, strange = 0, live_denied = 0, live_obeyed = 0;
    rng = seed;
    self_ep = boot_ep("ktest");
    sys_getinfo(GET_PROCTAB, tab, sizeof tab, 0, &cnt);
    for (int i = 0; i < cnt; i++)
        if (!(tab[i].rts_flags & RTS_SLOT_FREE)) live_eps[nr_live++] = tab[i].endpoint;
    for (int i = 0; i < n; i++) {
        message m;
        for (int w = 0; w < MSG_PAYLOAD_WORDS; w++) m.m.u[w] = rnd();
        int r;
        if (rnd() & 1) {
            /* a kernel call; the ones that act on the whole machine are out */
            int call = (int)(rnd() % (NR_SYS_CALLS + 4)) - 2;
            if (call == SYS_ABORT || call == SYS_SERIAL || call == SYS_GCOV) call = SYS_TIMES;
            int acts_on_proc = call == SYS_EXIT || call == SYS_KILL || call == SYS_STOP ||
                               call == SYS_EXEC || call == SYS_FORK || call == SYS_PRIVCTL;
            m.m_type = call;
            /* every call's first endpoint */
            m.m.i[0] = call == SYS_VIRCOPY ? hostile_ep() : target_ep();
            m.m.i[2] = hostile_ep();                 /* VIRCOPY's destination */
            m.m.u[1] = hostile_ptr();
            m.m.u[3] = hostile_ptr();
            if (call == SYS_DIAGCTL) { m.DIAG_LEN %= 24; m.DIAG_EVENT = 0; }
            if (call == SYS_GETINFO) m.m.i[3] = hostile_ep();
            int target = m.m.i[0], direct = rnd() % 8;
            r = direct ? kernel_call(&m) : kernel_call((message *)hostile_ptr());
            if (direct && acts_on_proc && target != self_ep && is_live(target)) {
                /* on someone else's process: the only answers are "no" or
                 * an argument error found before the authority check */
                if (r == EPERM) live_denied++;
                else if (r == OK) { live_obeyed++; event("ev=fuzz_obeyed call=%d ep=%d", call, target); }
            }
        } else {
            /* IPC: never blocks, since no endpoint is live */
            int call = (int)(rnd() % 9) - 2;
            message *mp = (rnd() % 3) ? &m : (message *)hostile_ptr();
            int ep = hostile_ep();
            if (call == IPC_RECEIVE && ep == ANY) ep = NONE;
            r = ipc_trap_unchecked(call, ep, mp);   /* mp may be unreadable */
        }
        if (!known_result(r)) {
            strange++;
            event("ev=fuzz_strange i=%d result=%d", i, r);
        }
        if (r == OK) hist_ok++; else hist_err++;
    }
    sys_setalarm(0, 0);
    event("ev=fuzz_done n=%d ok=%d errors=%d strange=%d live_denied=%d live_obeyed=%d", n,
          hist_ok, hist_err, strange, live_denied, live_obeyed);
    check("fuzz_results_known", strange, 0);
    check("fuzz_no_authority_over_others", live_obeyed, 0);
    check("roundtrip_after_fuzz", ping(peer, 100), 101);
}

/* libc's memcmp, memset and memcpy (word compares and stores; past 64
 * bytes eight words a step) against byte loops written here, over every
 * length to 40 and lengths either side of each step past it, at every
 * alignment of both buffers, with the first difference at every place:
 * the sign of each answer and every byte set or copied, nothing past the
 * end touched. */
static int ref_cmp(const uint8_t *x, const uint8_t *y, size_t n)
{
    for (; n; n--, x++, y++) if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}
static int sign(int v) { return v < 0 ? -1 : v > 0; }

#define LIBC_BUF 224
static const size_t libc_long[] = {63, 64, 65, 95, 96, 97, 100, 127, 128, 131, 160, 199, 200};
#define LIBC_LENGTHS (41 + sizeof libc_long / sizeof libc_long[0])
static size_t libc_len(size_t i) { return i <= 40 ? i : libc_long[i - 41]; }

static void t_libc(void)
{
    static uint8_t a[LIBC_BUF], b[LIBC_BUF];
    int cmp_bad = 0, set_bad = 0, cpy_bad = 0, cases = 0;
    for (size_t li = 0; li < LIBC_LENGTHS; li++)
        for (int oa = 0; oa < 4; oa++)
            for (int ob = 0; ob < 4; ob++) {
                size_t n = libc_len(li);
                for (int at = -1; at < (int)n; at++)
                    for (int up = 0; up < 2; up++) {
                        for (int i = 0; i < LIBC_BUF; i++) a[i] = b[i] = (uint8_t)(i * 7 + 3);
                        memmove(b + ob, a + oa, n);
                        if (at >= 0) b[ob + at] = (uint8_t)(a[oa + at] + (up ? 1 : -1));
                        cases++;
                        cmp_bad += sign(memcmp(a + oa, b + ob, n)) !=
                                   ref_cmp(a + oa, b + ob, n);
                    }
                for (int i = 0; i < LIBC_BUF; i++) { a[i] = (uint8_t)(i * 13 + 1); b[i] = 0x5a; }
                memcpy(b + ob, a + oa, n);
                for (int i = 0; i < LIBC_BUF; i++)
                    cpy_bad += b[i] != ((i >= ob && i < ob + (int)n) ? a[oa + i - ob] : 0x5a);
            }
    for (size_t li = 0; li < LIBC_LENGTHS; li++)
        for (int o = 0; o < 4; o++) {
            size_t n = libc_len(li);
            for (int i = 0; i < LIBC_BUF; i++) a[i] = 0x11;
            memset(a + o, 0xa5, n);
            for (int i = 0; i < LIBC_BUF; i++)
                set_bad += a[i] != ((i >= o && i < o + (int)n) ? 0xa5 : 0x11);
        }
    check("memcmp_cases", cases > 50000, 1);
    check("memcmp_agrees", cmp_bad, 0);
    check("memset_exact", set_bad, 0);
    check("memcpy_exact", cpy_bad, 0);
}

int main(int argc, char **argv)
{
    const char *scen = argc > 1 ? argv[1] : "ipc";
    peer = boot_ep("peer");
    victim = boot_ep("victim");
    lonely = boot_ep("lonely");
    event("ev=test_start name=%s", scen);
    if (!strcmp(scen, "ipc")) t_ipc();
    else if (!strcmp(scen, "fastipc")) t_fastipc();
    else if (!strcmp(scen, "notify")) t_notify();
    else if (!strcmp(scen, "dead")) t_dead();
    else if (!strcmp(scen, "alarmwrap")) t_alarmwrap();
    else if (!strcmp(scen, "libc")) t_libc();
    else if (!strcmp(scen, "deadlock")) t_deadlock();
    else if (!strcmp(scen, "refused")) t_refused();
    else if (!strcmp(scen, "deadsrc")) t_deadsrc();
    else if (!strcmp(scen, "timeout")) t_timeout();
    else if (!strcmp(scen, "denied")) t_denied();
    else if (!strcmp(scen, "fault")) t_fault();
    else if (!strcmp(scen, "badptr")) t_badptr();
    else if (!strcmp(scen, "sched")) t_sched();
    else if (!strcmp(scen, "prestart")) t_prestart();
    else if (!strcmp(scen, "spawn")) t_spawn();
    else if (!strcmp(scen, "bench")) t_bench(argc > 2 ? atoi(argv[2]) : 10000);
    else if (!strcmp(scen, "fuzz")) t_fuzz(argc > 2 ? atoi(argv[2]) : 20000,
                                           argc > 3 ? (uint32_t)atoi(argv[3]) : 1);
    else check("known_scenario", 0, 1);
    event("ev=test_done name=%s checks=%d failures=%d", scen, checks, failures);
    sys_abort(failures || !checks ? ABORT_TEST_FAIL : ABORT_HALT);
}
