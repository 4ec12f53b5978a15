/* sef_liveupdate.c - the service side of live update. RS asks for a state;
 * SEF checks it is valid, and before every receive asks the service (the
 * prepare callback) whether it has reached it. Once there, SEF tells RS
 * with a blocking sendrec: if the update goes ahead RS replaces this image
 * while it waits, so the call only returns when the update was aborted. */
#include "sef_priv.h"
#include "../libc/libc.h"
#include "../../include/fi.h"

extern sef_cb_lu_prepare_t sef_cb_prepare;
extern sef_cb_lu_state_isvalid_t sef_cb_isvalid;
extern sef_cb_lu_state_dump_t sef_cb_dump;
static int lu_state = SEF_LU_STATE_NULL;

static int state_valid(int s)
{
    if (s == SEF_LU_STATE_UNREACHABLE) return 1;   /* debug state: always allowed */
    return sef_cb_isvalid ? sef_cb_isvalid(s) : 0;
}

static void lu_ready(int result)
{
    message m = { .m_type = RS_LU_READY };
    m.LU_RESULT = result;
    event("ev=sef_lu_ready state=%d result=%d", lu_state, result);
    lu_state = SEF_LU_STATE_NULL;
    ipc_sendrec(RS_PROC_EP, &m);
    /* back here: RS aborted the update; the old version keeps serving */
}

void sef_lu_request(const message *m)
{
    if (m->m_type == RS_LU_CANCEL) { lu_state = SEF_LU_STATE_NULL; return; }
    int s = m->LU_STATE;
    if (!state_valid(s)) { lu_state = s; lu_ready(EINVAL); return; }
    lu_state = s;
}

void sef_lu_before_receive(void)
{
    if (lu_state == SEF_LU_STATE_NULL) return;
    /* hit at every receive while an update is pending, and only then: a
     * crash or hang armed here strikes a service in the middle of its
     * prepare, whichever state it waits for (tests/test_rs_truth.py) */
    FI_POINT("sef.lu.pending");
    if (lu_state == SEF_LU_STATE_UNREACHABLE) return;
    /* in the receive loop a single-threaded service has no work and no
     * request in progress, so the standard states hold here */
    if (FI_ERROR("sef.lu.prepare")) return;    /* injected: never ready */
    int r = OK;
    if (sef_cb_prepare) r = sef_cb_prepare(lu_state);
    if (r == OK && sef_cb_dump) sef_cb_dump(lu_state);
    if (r == OK) lu_ready(OK);
}
