/* lonely.c - a process with almost no privileges. It tries what it may not
 * do (send to peer, call privctl) and reports the errors to ktest. */
#include "testproto.h"

int main(void)
{
    message m = { .m_type = T_PING };
    int peer = boot_ep("peer");
    int r_send = ipc_send(peer, &m);
    int r_priv = sys_privctl(peer, PRIV_DISALLOW, 0);
    int r_notify = ipc_notify(peer);
    message res = { .m_type = T_RESULT };
    res.m.i[0] = r_send;
    res.m.i[1] = r_priv;
    res.m.i[2] = r_notify;
    ipc_send(boot_ep("ktest"), &res);
    for (;;) ipc_receive(ANY, &m);
}
