"""A user-mode fault stops only the faulting process; the kernel tells its
signal manager (RS) and keeps running."""

import pytest

from tests.kernel_image import assert_passed, events_of, image

FAULTS = [("null", 14, 11), ("div", 0, 8), ("ud", 6, 4), ("kernel", 14, 11)]


@pytest.mark.parametrize("how,trap,sig", FAULTS, ids=[f[0] for f in FAULTS])
def test_user_fault_is_contained(boot_os, how, trap, sig):
    r = boot_os(image("fault", victim=how))
    assert_passed(r, f"fault {how}")
    fault = events_of(r, "fault", proc="victim")
    assert fault and fault[0].int("trap") == trap
    assert events_of(r, "signal", proc="victim", sig=sig, mgr="rs")
    ep = fault[0].get("ep")
    ksig = events_of(r, "ksig", who="rs", ep=ep)
    assert ksig and ksig[0].int("sigmap") == 1 << sig
    assert events_of(r, "exit", proc="victim", why="killed")
    # the system went on: a later round trip worked (checked in the guest)
    # and the kernel never panicked
    assert not events_of(r, "panic")
    t_fault = fault[0].t
    done = events_of(r, "test_done")[0]
    assert done.t > t_fault
