/* exitcodes.h - values written to QEMU's isa-debug-exit port. QEMU exits
 * with (value << 1) | 1, so 0 never means success. */
#ifndef OS_EXITCODES_H
#define OS_EXITCODES_H
#define DEBUG_EXIT_PORT  0xf4
#define GUEST_HALT       0x10   /* host status 33 */
#define GUEST_PANIC      0x11   /* host status 35 */
#define GUEST_TEST_FAIL  0x12   /* host status 37 */
#define GUEST_DEADLINE   0x13   /* host status 39: virtual-time limit reached */
#endif
