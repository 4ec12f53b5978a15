/* sef.h - the System Event Framework: every system service starts with
 * sef_startup() and receives with sef_receive(). SEF answers RS's init,
 * ping and live-update traffic through callbacks, each with a default. */
#ifndef SEF_H
#define SEF_H
#include "../libsys/syslib.h"
#include "../../include/services.h"
#include "../../include/rspub.h"

/* init types */
#define SEF_INIT_FRESH    0
#define SEF_INIT_LU       1
#define SEF_INIT_RESTART  2

/* debug behaviours RS may ask of a new instance's init (service up -x) */
#define SEF_DBG_INIT_CRASH   0x1   /* crash instead of running init */
#define SEF_DBG_INIT_FAIL    0x2   /* report failure */
#define SEF_DBG_INIT_TIMEOUT 0x4   /* never report */

/* standard live-update states */
#define SEF_LU_STATE_NULL          0
#define SEF_LU_STATE_WORK_FREE     1
#define SEF_LU_STATE_REQUEST_FREE  2
#define SEF_LU_STATE_PROTOCOL_FREE 3
#define SEF_LU_STATE_UNREACHABLE   5   /* debug: never reached -> timeout */

/* What RS tells a starting instance. pub is RS's public table as it was
 * when RS answered the hello (the init data): every service's label,
 * endpoint, flags, pid and VM call mask, entry i being RS's slot i. It is
 * a snapshot; later changes reach a service through DS, not here. */
struct sef_init_info {
    int  type;
    int  restarts;
    int  old_endpoint;
    int  flags;
    char label[LABEL_MAX];
    const struct rprocpub *pub;
    int  nr_pub;                  /* entries in pub, free slots included */
    uint32_t pub_sum;             /* RS's rspub_sum() of pub[0..nr_pub) */
};

typedef int  (*sef_cb_init_t)(int type, const struct sef_init_info *info);
typedef void (*sef_cb_ping_reply_t)(int rs_ep);
typedef int  (*sef_cb_lu_prepare_t)(int state);           /* OK when reached */
typedef int  (*sef_cb_lu_state_isvalid_t)(int state);
typedef void (*sef_cb_lu_state_dump_t)(int state);          /* debug summary */

void sef_setcb_init_fresh(sef_cb_init_t cb);
void sef_setcb_init_lu(sef_cb_init_t cb);
void sef_setcb_init_restart(sef_cb_init_t cb);
void sef_setcb_ping_reply(sef_cb_ping_reply_t cb);
void sef_setcb_lu_prepare(sef_cb_lu_prepare_t cb);
void sef_setcb_lu_state_isvalid(sef_cb_lu_state_isvalid_t cb);
/* called once the update state is reached, before RS is told: an event
 * summing up the state the update will carry (for debugging updates) */
void sef_setcb_lu_state_dump(sef_cb_lu_state_dump_t cb);

/* Which label a binary may run under, in its section .provides: RS
 * refuses a live update into a binary that does not provide the label. */
#define SEF_PROVIDES(label) \
    static const char sef_provides_[] __attribute__((section(".provides"), used)) = label

/* A service whose state survives restarts and updates (kept in DS):
 * fresh init, one restore for restart and live update, the standard
 * update states, and a prepare that saves the state. */
void sef_setcb_stateful(sef_cb_init_t fresh, sef_cb_init_t restore, sef_cb_lu_prepare_t prepare);

/* predefined callbacks */
int  sef_cb_init_null(int type, const struct sef_init_info *info);     /* OK */
int  sef_cb_init_fail(int type, const struct sef_init_info *info);     /* EINVAL */
int  sef_cb_init_restart_fresh(int type, const struct sef_init_info *info); /* like fresh */
void sef_cb_ping_reply_pong(int rs_ep);
void sef_cb_ping_reply_null(int rs_ep);
int  sef_cb_lu_prepare_always_ready(int state);
int  sef_cb_lu_prepare_never_ready(int state);
int  sef_cb_lu_state_isvalid_standard(int state);

int  sef_startup(void);                  /* blocks until init is done */
int  sef_receive(int src, message *m);   /* only the service's own messages */
const struct sef_init_info *sef_init_info(void);
/* the in-use entry of the init data with this label, or 0 */
const struct rprocpub *sef_pub_lookup(const struct sef_init_info *info, const char *label);
/* Service-side helpers for state kept in DS across restarts/updates. */
int  sef_state_save(const void *buf, uint32_t len);
int  sef_state_restore(void *buf, uint32_t len);   /* bytes, or error */
int  sef_lookup(const char *label);                /* DS lookup -> endpoint */
int  sef_reply(message *m, int result);            /* answer a request */
#endif
