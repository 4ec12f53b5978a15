/* exitcodes.h - values written to QEMU's isa-debug-exit port (QEMU exits
 * with (value << 1) | 1, so 0 never means success): GUEST_HALT, ...,
 * DEBUG_EXIT_PORT, defined once in contract/guest_host.def (contract.h). */
#ifndef OS_EXITCODES_H
#define OS_EXITCODES_H
#include "contract.h"
#endif
