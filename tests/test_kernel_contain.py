"""The kernel contains a fault in a kernel call's path (os/kernel/contain.c):
a corrupted pointer there fails that call (restarted once, then EFAULT)
while the system serves on; a fault that also corrupted the kernel's own
data is caught by the consistency check (kcheck.c) and still panics; a
call that hangs in the kernel is abandoned at its deadline; a fault in the
scheduler's pick is undone by picking again."""

from tests.one_experiment import events as _events, run


def _run(line):
    return run(line, timeout=5, name="contain")


def test_corrupted_pointer_fails_the_call_with_efault_and_the_system_serves_on(os_built):
    # a pointer in SYS_VIRCOPY's handler corrupted on two calls in a row:
    # the first is restarted (it had changed nothing), the second fails
    r = _run("kernel corrupt_ptr site=do_vircopy#0 trigger=times:2 workload=kv arg=28")
    assert r["error"] is None, r["error"]
    kc = _events(r, "kcall_contained")
    assert [e.get("fate") for e in kc] == ["restarted", "efault"], kc
    for e in kc:
        assert e.get("call") == "kcall:4" and e.get("what") == "page fault"
        assert e.get("trap") == "14"
        assert kc[0].get("proc") == e.get("proc")
    assert not _events(r, "panic")
    # the workload ran to its end with every answer right
    assert _events(r, "sc_done")
    assert r["outcome"] == "recovered", r["why"]
    assert r["manifested"]


def test_kernel_data_corrupted_by_the_fault_is_caught_and_panics(os_built):
    # the caller's privilege pointer (proc.priv) flipped in memory where
    # kernel_call_trap reads it: the dereference faults in the call's path,
    # and the check finds the process table broken: no containment
    r = _run("kernel corrupt_int site=kernel_call_trap#6 trigger=nth:300 workload=kv arg=28")
    assert r["error"] is None, r["error"]
    eff = _events(r, "fi_effect")
    assert eff and eff[0].get("what") == "memory", eff
    assert not _events(r, "kcall_contained")
    panic = _events(r, "panic")
    assert panic, r["events"][-5:]
    reason = panic[0].get("reason")
    assert reason.startswith("kernel unsafe after a fault in kernel call"), reason
    assert reason.endswith(": privilege pointer"), reason
    assert r["outcome"] == "kernel_panic"


def test_a_call_that_hangs_in_the_kernel_is_abandoned_at_its_deadline(os_built):
    r = _run("kernel hang site=copy_chunks#1 trigger=nth:508 workload=kv")
    assert r["error"] is None, r["error"]
    kc = _events(r, "kcall_contained")
    assert len(kc) == 1 and kc[0].get("what") == "overdue", kc
    assert kc[0].get("fate") == "restarted"
    assert not _events(r, "panic")
    assert r["outcome"] == "recovered", r["why"]


def test_a_hang_in_the_scheduler_is_undone_by_picking_again(os_built):
    r = _run("kernel hang site=pick_proc#3 trigger=nth:166 workload=kv")
    assert r["error"] is None, r["error"]
    kc = _events(r, "kcall_contained")
    assert len(kc) == 1, kc
    assert kc[0].get("call") == "sched:0" and kc[0].get("fate") == "retried"
    assert not _events(r, "panic")
    assert r["outcome"] == "recovered", r["why"]
