/* main.c - ECHO, victim service 2: echoes a request's payload back with
 * word 13 replaced by a counter of requests served over the service's
 * whole life, across crashes and updates. The counter is saved in DS
 * before each answer, so a client never sees it go back. ECHO_CRASH and
 * ECHO_HANG are faults on request and are not answered. Module arguments
 * select init and crash-loop faults as in KV. */
#include "../victim.h"
#include "../../include/fi.h"
#include "../../lib/sef/sef.h"
#include "../../lib/libc/libc.h"
#include "../../lib/common/format.h"

SEF_PROVIDES("echo");

#define ECHO_MAGIC 0x45434831u   /* "ECH1" */
#define ECHO_COUNTER m.i[13]

static struct echo_state {
    uint32_t magic;
    uint32_t generation;       /* instances that carried the counter on */
    int32_t  served;
} st;


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

/* echo follows kv through DS, as a service that depends on another would:
 * DS notifies it when kv's endpoint changes (a restart, a new instance). */
static int kv_ep = NONE;

static void watch_kv(void)
{
    message m = { .m_type = DS_SUBSCRIBE };
    strlcpy(m.DS_LABEL, "kv", LABEL_MAX);
    if (ipc_sendrec(DS_PROC_EP, &m) != OK || m.m_type != OK)
        event("ev=echo_subscribe_failed err=%d", m.m_type);
}

static void kv_changed(void)
{
    for (;;) {
        message m = { .m_type = DS_CHECK };
        if (ipc_sendrec(DS_PROC_EP, &m) != OK || m.m_type != OK) return;
        m.DS_LABEL[LABEL_MAX - 1] = 0;
        char q[2 * LABEL_MAX + 3];     /* another process's bytes: quoted */
        event("ev=echo_saw_change label=%s old=%d ep=%d", ev_quote(q, sizeof q, m.DS_LABEL),
              kv_ep, m.DS_ENDPT);
        kv_ep = m.DS_ENDPT;
    }
}

static int init_fresh(int type, const struct sef_init_info *info)
{
    (void)type;
    victim_show_system(info);
    memset(&st, 0, sizeof st);
    st.magic = ECHO_MAGIC;
    (void)sef_state_save(&st, sizeof st);   /* drop an older instance's count */
    return OK;
}

/* Only "nothing saved" (ENOENT) starts the counter at 0; any other
 * failure fails the init with its cause, since a counter that went back
 * to 0 under an OK is what a client must never see. RS retries later or
 * rolls an update back. */
static int init_restore(int type, const struct sef_init_info *info)
{
    victim_show_system(info);
    int r = sef_state_restore(&st, sizeof st);
    if (r == ENOENT) {
        memset(&st, 0, sizeof st);
        st.magic = ECHO_MAGIC;
    } else if (r != (int)sizeof st || st.magic != ECHO_MAGIC || st.served < 0) {
        int err = r < 0 ? r : EINVAL;          /* a short or foreign blob: corrupt */
        event("ev=echo_restore_failed err=%d type=%d", err, type);
        memset(&st, 0, sizeof st);
        return err;
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

int main(int argc, char **argv)
{
    int crashloop = victim_crashloop(argc, argv);
    sef_setcb_stateful(init_fresh, init_restore, lu_prepare);
    sef_startup();
    watch_kv();
    if (crashloop) {
        event("ev=echo_fault kind=crashloop");
        victim_crash();
    }

    for (;;) {
        message m;
        if (sef_receive(ANY, &m) != OK) continue;
        if (is_notify(&m)) {
            if (m.m_source == DS_PROC_EP) kv_changed();
            continue;
        }
        int r;
        switch (m.m_type) {
        case ECHO_ECHO:
            FI_POINT("echo.echo");
            r = do_echo(&m);
            break;
        case ECHO_CRASH:
        case ECHO_HANG:
            if (!victim_may_inject(m.m_source)) {
                event("ev=echo_fault_refused from=%d", m.m_source);
                r = EPERM;
                break;
            }
            if (m.m_type == ECHO_HANG) {
                event("ev=echo_fault kind=hang from=%d", m.m_source);
                for (;;) ;        /* no more pings answered: RS must notice */
            } else {
                event("ev=echo_fault kind=crash from=%d", m.m_source);
                victim_crash();
            }
        default: r = ENOSYS; break;
        }
        sef_reply(&m, r);
    }
}
