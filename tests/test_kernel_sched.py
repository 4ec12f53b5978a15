"""Scheduling is preemptive and round robin: a process that spins for ever
at the same priority does not keep the CPU from another that spins too."""

from tests.kernel_image import assert_passed, events_of, image


def test_spinning_processes_share_the_cpu(boot_os):
    r = boot_os(image("sched", victim="spin"))
    assert_passed(r, "sched")
    ev = events_of(r, "sched")[0]
    mine, theirs = ev.int("ktest_ticks"), ev.int("victim_ticks")
    assert mine > 0 and theirs > 0
    # quantum round robin between equals: neither got much more than the other
    assert abs(mine - theirs) <= 10, ev.raw
