/* peer.c - a test partner for ktest: answers pings, sends notifications
 * and blocking sends on request, and counts who sent it messages. */
#include "testproto.h"

#define MAX_SRC 16
static struct { int ep, count; } seen[MAX_SRC];

static void count_from(int ep)
{
    for (int i = 0; i < MAX_SRC; i++)
        if (seen[i].ep == ep || seen[i].count == 0) { seen[i].ep = ep; seen[i].count++; return; }
}

static int seen_from(int ep)
{
    for (int i = 0; i < MAX_SRC; i++) if (seen[i].ep == ep && seen[i].count) return seen[i].count;
    return 0;
}

int main(void)
{
    for (;;) {
        message m;
        if (ipc_receive(ANY, &m) != OK) continue;
        count_from(m.m_source);
        if (is_notify(&m)) continue;
        int src = m.m_source, type = m.m_type;
        switch (type) {
        case T_PING: m.m.i[0]++; break;
        case T_COUNT_FROM: m.m.i[0] = seen_from(m.m.i[0]); break;
        }
        m.m_type = type == T_REFUSE ? ENOSYS : OK;
        ipc_send(src, &m);
        if (type == T_NOTIFY_THRICE) {
            for (int i = 0; i < 3; i++) ipc_notify(src);
        } else if (type == T_SEND_BACK) {
            message b = { .m_type = T_PING };
            ipc_send(src, &b);       /* blocks until src receives from us */
        }
    }
}
