/* ipc_entry.c - the IPC path's entry points: the copy of ipc.c with its
 * fault sites while a fault is armed, the copy without them otherwise
 * (ipc.c is compiled twice; see its head). One look at the fault table per
 * call instead of one per site keeps the disarmed cost of hand hooks on a
 * message near nothing. */
#include "proc.h"
#include "../include/fi.h"

void ipc_trap_fi(struct proc *caller);
void ipc_trap_nofi(struct proc *caller);
int ipc_notify_from_fi(struct proc *src, struct proc *dst);
int ipc_notify_from_nofi(struct proc *src, struct proc *dst);
void ipc_dead_partners_fi(struct proc *dead);
void ipc_dead_partners_nofi(struct proc *dead);

void ipc_trap(struct proc *caller)
{
    if (FI_ANY_ARMED()) ipc_trap_fi(caller);
    else ipc_trap_nofi(caller);
}

int ipc_notify_from(struct proc *src, struct proc *dst)
{
    return FI_ANY_ARMED() ? ipc_notify_from_fi(src, dst) : ipc_notify_from_nofi(src, dst);
}

void ipc_dead_partners(struct proc *dead)
{
    if (FI_ANY_ARMED()) ipc_dead_partners_fi(dead);
    else ipc_dead_partners_nofi(dead);
}
