"""The kernel repairs its run queues from the process table (os/kernel/
sched_repair.c): a fault in the scheduler's bookkeeping that leaves a
runnable process in no run queue is found by the clock tick's audit and
undone, the containment path rebuilds the queues instead of panicking when
they are its consistency check's only complaint, and a bad process picked
by the scheduler is refused before the switch to it. Each case ends with
the workload's every answer right and the event saying what was rebuilt."""

from tests.one_experiment import events as _events, one_repair, run, served_on


def _run(line):
    return run(line, timeout=5, name="runq")


def test_a_runnable_process_lost_from_its_queue_is_requeued_by_the_tick_audit(os_built):
    # clear_rts's load of the queue's woken mark skipped: the process it
    # made runnable is linked after whatever the register held (its old
    # flags, as an address), in no queue; nothing traps, so only the audit
    # at the next clock tick finds it
    r = _run("kernel skip_insn site=clear_rts#3 trigger=nth:313 workload=kv")
    assert r["error"] is None, r["error"]
    rep = one_repair(r, "run_queues", "audit")
    assert rep.get("missing") == "1", rep
    assert not _events(r, "kcall_contained")
    served_on(r)


def test_a_contained_fault_that_broke_the_queues_repairs_them_instead_of_panicking(os_built):
    # a crash in proc_unready while DS blocks in RECEIVE: DS is unlinked
    # from its queue but not yet marked blocked, so the check after the
    # containment finds a runnable process in no run queue
    r = _run("kernel crash site=proc_unready#10 trigger=nth:297 workload=kv")
    assert r["error"] is None, r["error"]
    rep = one_repair(r, "run_queues", "ipc")
    assert rep.get("missing") == "1", rep
    kc = _events(r, "kcall_contained")
    assert len(kc) == 1 and kc[0].get("call") == "ipc:2" and kc[0].get("fate") == "efault", kc
    served_on(r)


def test_a_bad_pick_is_refused_before_the_switch(os_built):
    # pick_proc's move of the chosen head into its result skipped: it
    # returns the queue's index as a process pointer; switched to, that is
    # a triple fault
    r = _run("kernel skip_insn site=pick_proc#3 trigger=nth:365 workload=kv")
    assert r["error"] is None, r["error"]
    rep = one_repair(r, "sched_pick", "sched")
    assert int(rep.get("addr"), 16) < 8, rep
    served_on(r)
