/* dshog.c - a user program that misuses DS, for the DS limit tests.
 *   dshog flood N   subscribe to N labels of its own, try to publish over
 *                   echo, delete kv and store state, then stay alive (so
 *                   its subscriptions stay) waiting for a child it has not
 *                   got.
 *   dshog sub N     subscribe to N labels of its own and kv, then exit, so
 *                   DS must clean up after it.
 * Each run ends with one event, ev=dshog_done, with what DS answered. */
#include "testproto.h"
#include "../include/services.h"

static int ds_call(int type, const char *label, message *m)
{
    memset(m, 0, sizeof *m);
    m->m_type = type;
    if (label) strlcpy(m->DS_LABEL, label, LABEL_MAX);
    int r = ipc_sendrec(DS_PROC_EP, m);
    return r != OK ? r : m->m_type;
}

int main(int argc, char **argv)
{
    int flood = argc > 1 && !strcmp(argv[1], "flood");
    int n = argc > 2 ? atoi(argv[2]) : 4;
    message m = { .m_type = PM_GETPID };
    int pid = ipc_sendrec(PM_PROC_EP, &m) == OK ? m.m_type : -1;

    int ok = 0, refused = 0, quota = 0, full = 0, other = 0;
    for (int i = 0; i < n; i++) {
        char label[LABEL_MAX];
        snprintf(label, sizeof label, "hog%d.%d", pid, i);
        int r = ds_call(DS_SUBSCRIBE, label, &m);
        if (r == OK) ok++;
        else { refused++; if (r == EDQUOT) quota++; else if (r == ENOSPC) full++; else other++; }
    }
    int kv = flood ? 0 : ds_call(DS_SUBSCRIBE, "kv", &m);

    int publish = 0, del = 0, store = 0;
    if (flood) {
        /* point echo's clients at TTY, remove kv, keep state as if a service */
        memset(&m, 0, sizeof m);
        m.m_type = DS_PUBLISH;
        strlcpy(m.DS_LABEL, "echo", LABEL_MAX);
        m.DS_ENDPT = TTY_PROC_EP;
        publish = ipc_sendrec(DS_PROC_EP, &m) == OK ? m.m_type : -1;
        del = ds_call(DS_DELETE, "kv", &m);
        static char blob[16] = "not a service";
        memset(&m, 0, sizeof m);
        m.m_type = DS_STORE;
        m.DS_ADDR = (uint32_t)blob;
        m.DS_LEN = sizeof blob;
        store = ipc_sendrec(DS_PROC_EP, &m) == OK ? m.m_type : -1;
    }
    event("ev=dshog_done pid=%d mode=%s ok=%d refused=%d quota=%d full=%d other=%d kv=%d "
          "publish=%d delete=%d store=%d", pid, flood ? "flood" : "sub", ok, refused, quota,
          full, other, kv, publish, del, store);
    if (!flood) return 0;
    for (;;) {                 /* no children: PM never answers */
        m.m_type = PM_WAIT;
        m.PM_PID = -1;
        ipc_sendrec(PM_PROC_EP, &m);
    }
}
