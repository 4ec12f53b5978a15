/* main.c - ECHO, victim service 2: echoes a request's payload back with
 * word 13 replaced by a counter of requests served over the service's
 * whole life, across crashes and updates. The counter is saved in DS
 * before each answer, so a client never sees it go back. ECHO_CRASH and
 * ECHO_HANG are faults on request and are not answered. Module arguments
 * select init and crash-loop faults as in KV. */
#include "../../include/fi.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"

#define ECHO_MAGIC 0x45434831u   /* "ECH1" */
#define ECHO_COUNTER m.i[13]

static struct echo_state {
    uint32_t magic;
    uint32_t generation;       /* instances that carried the counter on */
    int32_t  served;
} st;

/* Faults on request. The pointer and its target are both volatile, so the
 * store is a real page fault, not one the compiler drops or turns into ud2. */
static void __attribute__((noreturn)) crash_now(void)
{
    volatile int *volatile p = 0;
    *p = 0xdead;
    for (;;) ;
}

static void __attribute__((noreturn)) block_forever(void)
{
    message m;
    for (;;) ipc_receive(KERNEL, &m);     /* the kernel never sends */
}

/* Module or `service up -args` arguments, for tests of RS itself:
 * sef_init=fail|timeout|crash makes every init of this instance fail,
 * never answer or crash; crashloop crashes right after each init. */
static int dbg_init_fail, dbg_init_timeout, dbg_init_crash, dbg_crashloop;

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "sef_init=fail")) dbg_init_fail = 1;
        else if (!strcmp(argv[i], "sef_init=timeout")) dbg_init_timeout = 1;
        else if (!strcmp(argv[i], "sef_init=crash")) dbg_init_crash = 1;
        else if (!strcmp(argv[i], "crashloop")) dbg_crashloop = 1;
        else printf("%s: unknown argument %s\n", argv[0], argv[i]);
    }
}

/* OK, or the failure the arguments ask for (which may never return). */
static int debug_init(void)
{
    if (dbg_init_crash) crash_now();
    if (dbg_init_timeout) block_forever();
    return dbg_init_fail ? EINVAL : OK;
}

static int do_echo(message *m)
{
    st.served++;
    int r = sef_state_save(&st, sizeof st);
    if (r != OK) {
        /* not saved, so not served: the client retries */
        st.served--;
        event("ev=echo_save_failed err=%d", r);
        return r;
    }
    m->ECHO_COUNTER = st.served;
    return OK;
}

static int init_fresh(int type, const struct sef_init_info *info)
{
    (void)type; (void)info;
    int r = debug_init();
    if (r != OK) return r;
    memset(&st, 0, sizeof st);
    st.magic = ECHO_MAGIC;
    (void)sef_state_save(&st, sizeof st);   /* drop an older instance's count */
    return OK;
}

static int init_restore(int type, const struct sef_init_info *info)
{
    (void)info;
    int r = debug_init();
    if (r != OK) return r;
    r = sef_state_restore(&st, sizeof st);
    if (r != (int)sizeof st || st.magic != ECHO_MAGIC || st.served < 0) {
        if (r != ENOENT) event("ev=echo_restore_failed err=%d type=%d", r < 0 ? r : EINVAL, type);
        memset(&st, 0, sizeof st);
        st.magic = ECHO_MAGIC;
    }
    st.generation++;
    event("ev=echo_restored served=%d type=%d", st.served, type);
    return OK;
}

static int lu_prepare(int state)
{
    (void)state;
    return sef_state_save(&st, sizeof st) == OK ? OK : EAGAIN;
}

/* Answer in the request message. RS sends its requests non-blocking and
 * takes answers in its main loop, so it gets a blocking send; every other
 * client waits in sendrec and is receiving already, so a non-blocking send
 * reaches it, and one that is not waiting cannot hang this server. */
static void reply(message *m, int result)
{
    int dst = m->m_source;
    m->m_type = result;
    if (dst == RS_PROC_EP) ipc_send(dst, m);
    else ipc_sendnb(dst, m);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    sef_setcb_init_fresh(init_fresh);
    sef_setcb_init_restart(init_restore);
    sef_setcb_init_lu(init_restore);
    sef_setcb_lu_state_isvalid(sef_cb_lu_state_isvalid_standard);
    sef_setcb_lu_prepare(lu_prepare);
    sef_startup();
    if (dbg_crashloop) {
        event("ev=echo_fault kind=crashloop");
        crash_now();
    }

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) continue;
        int r;
        switch (m.m_type) {
        case ECHO_ECHO:
            FI_POINT("echo.echo");
            r = do_echo(&m);
            break;
        case ECHO_CRASH: {
            event("ev=echo_fault kind=crash from=%d", m.m_source);
            crash_now();
        }
        case ECHO_HANG:
            event("ev=echo_fault kind=hang from=%d", m.m_source);
            for (;;) ;            /* no more pings answered: RS must notice */
        default: r = ENOSYS; break;
        }
        reply(&m, r);
    }
}
