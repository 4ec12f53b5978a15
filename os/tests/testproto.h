/* testproto.h - message types between the kernel test programs. */
#ifndef TESTPROTO_H
#define TESTPROTO_H
#include "../lib/libsys/syslib.h"
#include "../lib/libc/libc.h"

#define T_PING          0x100   /* reply i[0]+1 */
#define T_NOTIFY_THRICE 0x101   /* reply, then notify the sender 3 times */
#define T_SEND_BACK     0x102   /* reply, then send to the sender (blocks) */
#define T_COUNT_FROM    0x103   /* reply number of messages seen from i[0] */
#define T_GO            0x104   /* victim: reply, then do its fault */
#define T_RESULT        0x105   /* lonely -> ktest: its results */
#define T_REFUSE        0x106   /* peer: answer ENOSYS, as to a call it lacks */

/* endpoint of a boot process by name, or NONE */
static inline int boot_ep(const char *name)
{
    static struct boot_image_entry img[NR_BOOT_PROCS];
    int n = 0;
    if (sys_getinfo(GET_IMAGE, img, sizeof img, 0, &n) != OK) return NONE;
    for (int i = 0; i < n; i++)
        if (!strcmp(img[i].name, name)) return img[i].endpoint;
    return NONE;
}
#endif
