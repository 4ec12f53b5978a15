"""Exit-status conventions shared by the guest and the host.

The guest ends QEMU by writing a code to the isa-debug-exit port; QEMU
then exits with (code << 1) | 1. The port and the codes come from the
contract (contract/guest_host.def), as the kernel's do.
"""

from . import contract

DEBUG_EXIT_PORT = contract.CONSTS["DEBUG_EXIT_PORT"]

# Codes the guest writes to the debug-exit port.
GUEST_HALT = contract.EXIT_CODES["GUEST_HALT"]
GUEST_PANIC = contract.EXIT_CODES["GUEST_PANIC"]
GUEST_TEST_FAIL = contract.EXIT_CODES["GUEST_TEST_FAIL"]
GUEST_DEADLINE = contract.EXIT_CODES["GUEST_DEADLINE"]  # the virtual-time limit was reached


def host_status(guest_code: int) -> int:
    """Host exit status QEMU reports for a guest debug-exit code."""
    # QEMU only keeps the low 7 bits of the shifted value in the exit status.
    return ((guest_code << 1) | 1) & 0xFF


HOST_HALT = host_status(GUEST_HALT)            # 33
HOST_PANIC = host_status(GUEST_PANIC)          # 35
HOST_TEST_FAIL = host_status(GUEST_TEST_FAIL)  # 37
HOST_DEADLINE = host_status(GUEST_DEADLINE)    # 39
# A triple fault under -no-reboot ends QEMU with 0: 0 never means success.
HOST_RESET = 0
# QEMU's TCG stops with "qemu: fatal: ..." (status 1, or an abort) when the
# CPU gets where no CPU can go on (code run outside RAM and ROM, an I/O
# access it cannot replay under icount): the guest's doing, as a reset is.
# Status 1 alone also means a QEMU that never started the guest (a bad
# kernel file), so faultinj/qemu.py tells FATAL by the message.

# Outcome names a RunResult can carry.
HALT = "halt"
PANIC = "panic"
TEST_FAIL = "test_fail"
DEADLINE = "deadline"
RESET = "reset"
FATAL = "fatal"
TIMEOUT = "timeout"
KILLED = "killed"    # the host killed QEMU on purpose (Qemu.kill())
# the machine's own watchdog stopped it: the kernel took no clock tick for
# DEADMAN_S seconds of virtual time (os/kernel/deadman.c)
WATCHDOG = "watchdog"
DEADMAN_S = contract.CONSTS["DEADMAN_S"]
ERROR = "error"

_BY_STATUS = {
    HOST_HALT: HALT,
    HOST_PANIC: PANIC,
    HOST_TEST_FAIL: TEST_FAIL,
    HOST_DEADLINE: DEADLINE,
    HOST_RESET: RESET,
}


def outcome_for(exit_status, timed_out=False, killed=False) -> str:
    """Classify how a QEMU run ended."""
    if timed_out:
        return TIMEOUT
    if killed:
        return KILLED
    if exit_status is None:
        return ERROR
    return _BY_STATUS.get(exit_status, ERROR)
