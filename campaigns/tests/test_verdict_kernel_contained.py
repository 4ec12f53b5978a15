"""The verdict of a fault the kernel contained in a kernel call's path
(os/kernel/contain.c, event kcall_contained): it manifested, so it is never
benign; recovered only when every answer was right afterwards; a kernel
whose consistency check failed is a kernel panic. The same for the run
queues the kernel rebuilt from its process table (sched_repair.c, event
kernel_repaired)."""

from campaigns import spec, verdict
from campaigns.tests import synthetic as S
from campaigns.verdict import Trace


def _classify(lines, end="halt"):
    exp = spec.parse("campaign t\nkernel corrupt_ptr site=user_range_ok#2 trigger=nth:1 "
                     "workload=kv arg=3\n").experiments[0]
    t = Trace.from_lines(lines)
    return verdict.classify(exp, Trace(t.events, end=end, armed=1))


def test_contained_call_is_recovered_and_manifested():
    for fate in ("efault", "restarted", "answered", "ended"):
        v = _classify(S.kernel_contained(fate=fate))
        assert v.outcome == "recovered", v.why
        assert v.manifested and v.activated
        assert "kernel contained a fault (page fault) in kcall:-1 of kv" in v.why
        assert f"fate: {fate}" in v.why


def test_contained_call_with_wrong_answers_is_not_recovered():
    v = _classify(S.kernel_contained(wrong=2))
    assert v.outcome == "wrong_answers", v.why


def test_kernel_found_unsafe_is_a_panic():
    v = _classify(S.kernel_unsafe(), end="panic")
    assert v.outcome == "kernel_panic" and "kernel unsafe" in v.why, v.why


def test_run_queues_repaired_is_recovered_and_manifested():
    for by in ("audit", "ipc", "sched"):
        v = _classify(S.kernel_repaired(by=by))
        assert v.outcome == "recovered", v.why
        assert v.manifested and v.activated
        assert f"kernel repaired run_queues (found by {by}: 1 runnable missing" in v.why, v.why


def test_another_repair_by_the_audit_is_recovered_and_names_the_process():
    v = _classify(S.kernel_repaired_other("priv", proc="kv", ep=7, fix="pointer",
                                          was="0x36035c", now="0x16035c"))
    assert v.outcome == "recovered" and v.manifested, v.why
    assert "kernel repaired priv (found by audit: of kv)" in v.why, v.why
    v = _classify(S.kernel_repaired_other("alarm", proc="rs", ep=0, priv=4, due=47, late=1, n=1))
    assert v.outcome == "recovered" and "kernel repaired alarm (found by audit: of rs)" in v.why


def test_run_queues_repaired_with_wrong_answers_is_not_recovered():
    v = _classify(S.kernel_repaired(wrong=2))
    assert v.outcome == "wrong_answers", v.why
