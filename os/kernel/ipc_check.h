/* ipc_check.h - the kernel's part in the end-to-end check of messages
 * (os/include/ipc.h: the trap's registers; os/lib/libsys/ipc.S computes
 * and checks). The kernel only carries: the sender's check value, from
 * the sender's saved esi to the receiver's, untouched; and, from its own
 * records rather than from the message it copied, who sent and how. It
 * computes and checks nothing itself: its copy of the message is exactly
 * what the check must not trust. Used by the general path (ipc.c) and the
 * fast path (ipc_fast.c) wherever a message reaches a receiver. */
#ifndef IPC_CHECK_H
#define IPC_CHECK_H
#include "proc.h"

/* dst received the message `from` sends. from is in the middle of its
 * send, so its saved eax still holds the call it made (the result is set
 * only after this) and its esi the check its libsys passed. */
static inline void ipc_hand_check(struct proc *dst, const struct proc *from)
{
    dst->regs.esi = from->regs.esi;
    dst->regs.edi = (uint32_t)from->endpoint;
    dst->regs.ebp = from->regs.eax;
}

/* dst received a message the kernel made (a notification from src_ep):
 * nothing to check it against, and the receiver is told so. */
static inline void ipc_hand_kernel_made(struct proc *dst, int src_ep)
{
    dst->regs.edi = (uint32_t)src_ep;
    dst->regs.ebp = IPC_BY_KERNEL;
}
#endif
