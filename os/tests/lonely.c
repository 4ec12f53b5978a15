/* lonely.c - a process with almost no privileges. Asked by ktest, it tries
 * what it may not do (send to peer, call privctl, notify peer) and answers
 * with the error codes it got. */
#include "testproto.h"

int main(void)
{
    for (;;) {
        message m;
        if (ipc_receive(ANY, &m) != OK || is_notify(&m)) continue;
        int src = m.m_source, peer = boot_ep("peer");
        message t = { .m_type = T_PING };
        m.m.i[0] = ipc_send(peer, &t);
        m.m.i[1] = sys_privctl(peer, PRIV_DISALLOW, 0);
        m.m.i[2] = ipc_notify(peer);
        m.m_type = T_RESULT;
        ipc_send(src, &m);
    }
}
