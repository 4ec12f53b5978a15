/* conring.h - the header of the console ring the kernel shares with the
 * host (os/kernel/conring.c; its layout and constants are the contract's:
 * contract/guest_host.def, faultinj/conring.py). */
#ifndef OS_CONRING_H
#define OS_CONRING_H

#include <stdint.h>

struct conring_hdr {
    uint32_t magic;        /* CONRING_MAGIC once the kernel writes here */
    uint32_t pos;          /* the next byte's number; the host sets it to 0 */
};

#endif
