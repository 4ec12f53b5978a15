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

/* DS helpers: state survives restarts and updates in DS, keyed by label. */
int sef_state_save(const void *buf, uint32_t len)
{
    message m = { .m_type = DS_STORE };
    m.DS_ADDR = (uint32_t)buf;
    m.DS_LEN = len;
    int r = ipc_sendrec(DS_PROC_EP, &m);
    return r != OK ? r : m.m_type;
}

int sef_state_restore(void *buf, uint32_t len)
{
    message m = { .m_type = DS_RETRIEVE };
    m.DS_ADDR = (uint32_t)buf;
    m.DS_LEN = len;
    int r = ipc_sendrec(DS_PROC_EP, &m);
    if (r != OK) return r;
    return m.m_type != OK ? m.m_type : (int)m.DS_LEN;
}

int sef_lookup(const char *label)
{
    message m = { .m_type = DS_LOOKUP };
    strlcpy(m.DS_LABEL, label, LABEL_MAX);
    int r = ipc_sendrec(DS_PROC_EP, &m);
    if (r != OK) return r;
    return m.m_type != OK ? m.m_type : m.DS_ENDPT;
}
