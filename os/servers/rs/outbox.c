/* outbox.c - messages RS owes other servers (DS publish, PM and VM
 * updates). RS never blocks on a service: each is tried with a
 * non-blocking send, and retried on every pass of the main loop until the
 * server is ready to take it. Messages to one server keep their order. */
#include "rs.h"
#include "outbox.h"

#define OUTBOX_SIZE 64
/* kept across RS's own restart: what RS owed the servers is still owed */
static struct { int dst; message m; uint32_t seq; int used; } box[OUTBOX_SIZE] __attribute__((section(".keep")));
static uint32_t next_seq __attribute__((section(".keep")));

static int pending_for(int dst)
{
    for (int i = 0; i < OUTBOX_SIZE; i++)
        if (box[i].used && box[i].dst == dst) return 1;
    return 0;
}

void outbox_post(int dst, const message *m)
{
    if (!pending_for(dst) && !waiting_on_rs(dst)) {
        message copy = *m;
        if (ipc_sendnb(dst, &copy) == OK) return;
    }
    for (int i = 0; i < OUTBOX_SIZE; i++)
        if (!box[i].used) {
            box[i].used = 1; box[i].dst = dst; box[i].m = *m; box[i].seq = next_seq++;
            return;
        }
    event("ev=outbox_full dst=%d type=0x%x", dst, m->m_type);
}

void outbox_flush(void)
{
    for (;;) {
        /* the oldest message of any destination that has not refused yet */
        int best = -1;
        for (int i = 0; i < OUTBOX_SIZE; i++)
            if (box[i].used && (best < 0 || box[i].seq < box[best].seq)) best = i;
        if (best < 0) return;
        if (waiting_on_rs(box[best].dst)) return;   /* it awaits an answer */
        message copy = box[best].m;
        int r = ipc_sendnb(box[best].dst, &copy);
        if (r == ENOTREADY) return;     /* keep order: try again next pass */
        box[best].used = 0;             /* sent, or the server is gone */
    }
}

int outbox_pending(void)
{
    for (int i = 0; i < OUTBOX_SIZE; i++) if (box[i].used) return 1;
    return 0;
}
