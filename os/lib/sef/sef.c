/* sef.c - SEF startup and receive loop. sef_startup() says hello to RS,
 * which answers with the init type; the matching callback runs and its
 * result goes back to RS. sef_receive() answers RS's pings and live-update
 * requests itself and hands the service only its own messages. */
#include "sef.h"
#include "sef_priv.h"
#include "../libc/libc.h"
#include "../../include/fi.h"

static struct sef_init_info info;
static struct rprocpub pubtab[NR_SERVICES];    /* RS copies the init data here */

const struct sef_init_info *sef_init_info(void) { return &info; }

/* Block for ever: receive from the kernel, which never sends. RS notices
 * the silence (init timeout, missed pings) and acts. */
void sef_block_forever(void)
{
    message m;
    for (;;) ipc_receive(KERNEL, &m);
}

int sef_startup(void)
{
    message m = { .m_type = RS_INIT_HELLO };
    m.INIT_PUB_ADDR = (uint32_t)pubtab;
    m.INIT_PUB_LEN = sizeof pubtab;
    int r = ipc_sendrec(RS_PROC_EP, &m);
    if (r != OK || m.m_type != OK) {
        printf("SEF: no init from RS (%d/%d)\n", r, m.m_type);
        sef_block_forever();
    }
    info.type = m.INIT_TYPE;
    info.flags = m.INIT_FLAGS;
    info.restarts = m.INIT_RESTARTS;
    info.old_endpoint = m.INIT_OLD_EP;
    strlcpy(info.label, m.INIT_LABEL, sizeof info.label);
    info.pub = pubtab;
    info.nr_pub = m.INIT_PUB_COUNT >= 0 && m.INIT_PUB_COUNT <= NR_SERVICES ? m.INIT_PUB_COUNT : 0;
    info.pub_sum = m.INIT_PUB_SUM;

    /* debug behaviours for tests of the init protocol itself */
    if (info.flags & SEF_DBG_INIT_CRASH) { volatile int *volatile p = 0; *p = 0xdead; }
    if (info.flags & SEF_DBG_INIT_TIMEOUT) sef_block_forever();
    /* a process-level fault (crash, hang, ...) in the middle of an init of
     * any type: a restarted or updated instance dying or stuck in its init */
    FI_POINT("sef.init.cb");
    if (info.flags & SEF_DBG_INIT_FAIL) r = EINVAL;
    else r = sef_run_init_cb(info.type, &info);
    if (r == OK && FI_ERROR("sef.init")) r = EINVAL;     /* injected init failure */

    m.m_type = RS_INIT_RESULT;
    m.INIT_RESULT = r;
    ipc_sendrec(RS_PROC_EP, &m);
    if (r != OK) sef_block_forever();      /* RS brings us down */
    return r;
}

const struct rprocpub *sef_pub_lookup(const struct sef_init_info *in, const char *label)
{
    for (int i = 0; i < in->nr_pub; i++)
        if ((in->pub[i].flags & RSF_IN_USE) && !strncmp(in->pub[i].label, label, LABEL_MAX))
            return &in->pub[i];
    return 0;
}

int sef_receive(int src, message *m)
{
    for (;;) {
        sef_lu_before_receive();
        int r = ipc_receive(src, m);
        if (r != OK) return r;
        if (m->m_source != RS_PROC_EP) return OK;
        if (is_notify(m)) {
            FI_POINT("sef.ping");
            sef_run_ping_cb(RS_PROC_EP);
            continue;
        }
        if (m->m_type == RS_GCOV_DUMP) { sef_gcov_dump(info.label); continue; }
        if (m->m_type == RS_LU_PREPARE || m->m_type == RS_LU_CANCEL) {
            sef_lu_request(m);
            continue;
        }
        return OK;   /* a reply or request from RS meant for the service */
    }
}
