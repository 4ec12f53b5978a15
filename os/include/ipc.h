/* ipc.h - messages, endpoints and IPC trap numbers shared by kernel and
 * user space. Messages are fixed-size so the kernel can copy them without
 * trusting a length from the sender. */
#ifndef OS_IPC_H
#define OS_IPC_H

/* its numbers are also for assembly (os/lib/libsys/ipc.S): C only below
 * under !__ASSEMBLER__ */
#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* Trap vectors: kernel calls and IPC, as in MINIX on i386. */
#define KERNEL_CALL_VECTOR 32
#define IPC_VECTOR         33

/* IPC call numbers (eax on the IPC trap). Bits of a priv's trap mask. */
#define IPC_SEND     1
#define IPC_RECEIVE  2
#define IPC_SENDREC  3
#define IPC_NOTIFY   4
#define IPC_SENDNB   5
#define IPC_NR_CALLS 6
#define IPC_ALL_TRAPS  ((1u << IPC_SEND) | (1u << IPC_RECEIVE) | \
    (1u << IPC_SENDREC) | (1u << IPC_NOTIFY) | (1u << IPC_SENDNB))

/* The IPC trap's registers.
 *   in:  eax the call, ebx the endpoint, ecx the message's address, edx a
 *        SENDREC's deadline in ticks (0: none), esi the sender's check of
 *        the message it sends (end to end: computed by the sender's libsys
 *        before the kernel copies anything, os/lib/libsys/ipc.S).
 *   out: eax the result. When a message was received (RECEIVE, or
 *        SENDREC's reply; result OK) also: esi its sender's check, carried
 *        unchanged by the kernel; edi the sender's endpoint, from the
 *        kernel's own record of who sent (not the message's m_source);
 *        ebp how it was sent (IPC_SEND, IPC_SENDREC, IPC_SENDNB), or
 *        IPC_BY_KERNEL for a message the kernel made itself (a
 *        notification), which carries no check.
 * The receiver's libsys checks the message against esi and edi, so a
 * message the kernel garbled in its copy is reported, not taken. */
#define IPC_BY_KERNEL 0

/* Process numbers: kernel tasks are negative. */
#define NR_TASKS   4
#define IDLE      (-4)
#define CLOCK     (-3)
#define SYSTEM    (-2)
#define KERNEL    (-1)
#define HARDWARE  KERNEL
#define NR_PROCS   64

/* Well-known slots of boot services, so services can find RS and PM
 * without DS. Any other boot module gets a free slot from FIRST_FREE_SLOT.
 * The order of modules on the boot command line does not matter. */
#define RS_PROC_NR    0
#define PM_PROC_NR    1
#define VM_PROC_NR    2
#define DS_PROC_NR    3
#define TTY_PROC_NR   4
#define MEM_PROC_NR   5
#define INIT_PROC_NR  6
#define FIRST_FREE_SLOT 7
#define NR_BOOT_PROCS 16

/* Endpoint = generation << GEN_SHIFT + slot. A restarted service in the
 * same slot has a new generation, so an old endpoint is detectably dead. */
#define EP_GEN_SHIFT   15
#define EP_GEN_SIZE    (1 << EP_GEN_SHIFT)
#define EP_SLOT_BIAS   1024
#define MAKE_EP(gen, slot) (((gen) << EP_GEN_SHIFT) + (slot))
#define EP_SLOT(ep) ((((ep) + EP_SLOT_BIAS) & (EP_GEN_SIZE - 1)) - EP_SLOT_BIAS)
#define EP_GEN(ep)  (((ep) + EP_SLOT_BIAS) >> EP_GEN_SHIFT)
#define EP_MAX_GEN  0xFFF0

/* Special endpoints, outside any valid generation. */
#define ANY   0x7ffffff0
#define NONE  0x7ffffff1
#define SELF  0x7ffffff2

/* A message: source, type and a 56-byte payload. */
#define MSG_PAYLOAD_WORDS 14
#ifndef __ASSEMBLER__
typedef struct {
    int32_t m_source;
    int32_t m_type;
    union {
        int32_t  i[MSG_PAYLOAD_WORDS];
        uint32_t u[MSG_PAYLOAD_WORDS];
        char     c[MSG_PAYLOAD_WORDS * 4];
        /* layouts with a text field, named by the word it starts at */
        struct { char label[16]; int32_t w[5]; char args[20]; } l0;
        struct { int32_t w[2]; char label[16]; char args[32]; } l2;
        struct { int32_t w[4]; char label[16]; } l4;
        struct { int32_t w[8]; char label[16]; } l8;
    } m;
} message;
_Static_assert(sizeof(message) == 64, "message must be 64 bytes");
#endif

/* Type of a notification message; payload words below. */
#define NOTIFY_MESSAGE    0x1000
#define NOTIFY_TIMESTAMP  m.u[0]   /* clock ticks at delivery */
#define NOTIFY_ARG        m.u[1]   /* SYSTEM: 1 if kernel signals pending */

#endif
