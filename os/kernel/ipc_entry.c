/* ipc_entry.c - the IPC path's entry points: the copy of ipc.c with its
 * fault sites while a site of the IPC path (group "kernel.ipc.*") is
 * armed, the copy without them otherwise (ipc.c is compiled twice; see its
 * head). One look at the group's bit per call instead of one per site
 * keeps the cost of hand hooks on a message near nothing, and a fault
 * armed anywhere else (a server's site, kernel.call, an automatic site)
 * leaves messages on the plain copy. */
#include "proc.h"
#include "../include/fi.h"

void ipc_trap_fi(struct proc *caller);
void ipc_trap_nofi(struct proc *caller);
int ipc_notify_from_fi(struct proc *src, struct proc *dst);
int ipc_notify_from_nofi(struct proc *src, struct proc *dst);
void ipc_dead_partners_fi(struct proc *dead);
void ipc_dead_partners_nofi(struct proc *dead);

/* How often the instrumented copy was entered: read by the host through
 * the GDB stub (tests/test_fi_arming.py), counted only on that path. */
uint32_t fi_ipc_instrumented;

void ipc_trap(struct proc *caller)
{
    if (FI_ANY_ARMED()) {
        fi_ipc_instrumented++;
        ipc_trap_fi(caller);
    } else {
        ipc_trap_nofi(caller);
    }
}

int ipc_notify_from(struct proc *src, struct proc *dst)
{
    if (!FI_ANY_ARMED()) return ipc_notify_from_nofi(src, dst);
    fi_ipc_instrumented++;
    return ipc_notify_from_fi(src, dst);
}

void ipc_dead_partners(struct proc *dead)
{
    if (FI_ANY_ARMED()) {
        fi_ipc_instrumented++;
        ipc_dead_partners_fi(dead);
    } else {
        ipc_dead_partners_nofi(dead);
    }
}
