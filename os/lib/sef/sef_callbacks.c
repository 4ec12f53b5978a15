/* sef_callbacks.c - callback registration, defaults and the predefined
 * callbacks services can pick. */
#include "sef_priv.h"
#include "../libc/libc.h"
#include "../../include/fi.h"

static sef_cb_init_t cb_init_fresh = sef_cb_init_null;
static sef_cb_init_t cb_init_lu;          /* default: same as fresh */
static sef_cb_init_t cb_init_restart;     /* default: same as fresh (reset) */
static sef_cb_ping_reply_t cb_ping = sef_cb_ping_reply_pong;
sef_cb_lu_prepare_t sef_cb_prepare;       /* default: see sef_liveupdate.c */
sef_cb_lu_state_isvalid_t sef_cb_isvalid; /* default: reject, debug allowed */
sef_cb_lu_state_dump_t sef_cb_dump;       /* default: none */

void sef_setcb_init_fresh(sef_cb_init_t cb)   { cb_init_fresh = cb ? cb : sef_cb_init_null; }
void sef_setcb_init_lu(sef_cb_init_t cb)      { cb_init_lu = cb; }
void sef_setcb_init_restart(sef_cb_init_t cb) { cb_init_restart = cb; }
void sef_setcb_ping_reply(sef_cb_ping_reply_t cb) { cb_ping = cb ? cb : sef_cb_ping_reply_pong; }
void sef_setcb_lu_prepare(sef_cb_lu_prepare_t cb) { sef_cb_prepare = cb; }
void sef_setcb_lu_state_isvalid(sef_cb_lu_state_isvalid_t cb) { sef_cb_isvalid = cb; }
void sef_setcb_lu_state_dump(sef_cb_lu_state_dump_t cb) { sef_cb_dump = cb; }

void sef_setcb_stateful(sef_cb_init_t fresh, sef_cb_init_t restore, sef_cb_lu_prepare_t prepare)
{
    sef_setcb_init_fresh(fresh);
    sef_setcb_init_restart(restore);
    sef_setcb_init_lu(restore);
    sef_setcb_lu_state_isvalid(sef_cb_lu_state_isvalid_standard);
    sef_setcb_lu_prepare(prepare);
}

int sef_run_init_cb(int type, const struct sef_init_info *info)
{
    sef_cb_init_t cb = cb_init_fresh;
    if (type == SEF_INIT_LU && cb_init_lu) cb = cb_init_lu;
    if (type == SEF_INIT_RESTART && cb_init_restart) cb = cb_init_restart;
    int r = cb(type, info);
    event("ev=sef_init label=%s type=%s result=%d", info->label,
          type == SEF_INIT_FRESH ? "fresh" : type == SEF_INIT_LU ? "lu" : "restart", r);
    return r;
}

void sef_run_ping_cb(int rs_ep)
{
    if (FI_ERROR("sef.pong")) return;       /* injected: the pong is lost */
    cb_ping(rs_ep);
}

int sef_cb_init_null(int type, const struct sef_init_info *info) { (void)type; (void)info; return OK; }
int sef_cb_init_fail(int type, const struct sef_init_info *info) { (void)type; (void)info; return EINVAL; }
int sef_cb_init_restart_fresh(int type, const struct sef_init_info *info)
{
    (void)type;
    return cb_init_fresh(SEF_INIT_FRESH, info);
}

void sef_cb_ping_reply_pong(int rs_ep) { ipc_notify(rs_ep); }
void sef_cb_ping_reply_null(int rs_ep) { (void)rs_ep; }

int sef_cb_lu_prepare_always_ready(int state) { (void)state; return OK; }
int sef_cb_lu_prepare_never_ready(int state) { (void)state; return EAGAIN; }
int sef_cb_lu_state_isvalid_standard(int state)
{
    return state >= SEF_LU_STATE_WORK_FREE && state <= SEF_LU_STATE_PROTOCOL_FREE;
}

/* DS helpers: state survives restarts and updates in DS, keyed by label.
 *
 * Every call has a deadline in virtual time and is asked again, as the
 * workload client does (os/commands/wl/client.c): DS restarted under the
 * call (EDEADSRCDST: its fixed endpoint serves again once its new instance
 * is up), or a reply that does not come (ETIMEDOUT). A DS that took the
 * request and went on without answering may still answer RS's pings, so
 * the service tells RS (rs_complain; RS checks the kernel's record of the
 * wait). Meanwhile RS does not count the service's silence against it: it
 * waits on DS (os/servers/rs/excuse.c). Every DS request here is safe to
 * ask twice: a store writes the same bytes again, a retrieve and a lookup
 * read. */
#define DS_DEADLINE 50   /* ticks: past DS's hang threshold (two 20-tick periods) */
#define DS_TRIES    8

static int ds_call(message *m)
{
    message q = *m;
    int r = OK;
    for (int t = 0; t < DS_TRIES; t++) {
        *m = q;
        r = ipc_sendrec_timed(DS_PROC_EP, m, DS_DEADLINE);
        if (r == OK) return OK;
        if (r == ETIMEDOUT) (void)rs_complain(DS_PROC_EP, COMPLAIN_LOST_REPLY);
        else if (r != EDEADSRCDST) return r;
    }
    return r;
}

int sef_state_save(const void *buf, uint32_t len)
{
    message m = { .m_type = DS_STORE };
    m.DS_ADDR = (uint32_t)buf;
    m.DS_LEN = len;
    int r = ds_call(&m);
    return r != OK ? r : m.m_type;
}

int sef_state_restore(void *buf, uint32_t len)
{
    message m = { .m_type = DS_RETRIEVE };
    m.DS_ADDR = (uint32_t)buf;
    m.DS_LEN = len;
    int r = ds_call(&m);
    if (r != OK) return r;
    return m.m_type != OK ? m.m_type : (int)m.DS_LEN;
}

int sef_lookup(const char *label)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, label, LABEL_MAX);
    int r = ds_call(&m);
    if (r != OK) return r;
    return m.m_type != OK ? m.m_type : m.DS_ENDPT;
}
