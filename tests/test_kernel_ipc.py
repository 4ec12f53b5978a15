"""IPC semantics: rendezvous, notification coalescing, dead endpoints,
deadlock refusal, and the privilege checks on IPC and kernel calls."""

import pytest

from faultinj import autosites, bootimage

from tests.kernel_image import assert_passed, checks, events_of, image


def test_sendrec_roundtrip(boot_os):
    r = boot_os(image("ipc"))
    assert_passed(r, "ipc")
    assert checks(r)["sendrec_roundtrip"].int("got") == 42


def test_notify_coalesces(boot_os):
    r = boot_os(image("notify"))
    assert_passed(r, "notify")
    assert "next_is_clock" in checks(r)


def test_send_to_dead_endpoint_fails(boot_os):
    r = boot_os(image("dead", victim="exit"))
    assert_passed(r, "dead")
    # a managed process that exits is stopped and its manager (RS) reaps it
    assert events_of(r, "exit_request", proc="victim")
    assert events_of(r, "exit", proc="victim")
    assert checks(r)["send_to_dead"].int("got") == -106     # EDEADSRCDST


def test_send_cycle_is_refused(boot_os):
    r = boot_os(image("deadlock"))
    assert_passed(r, "deadlock")
    assert checks(r)["send_cycle_refused"].int("got") == -101   # ELOCKED


def test_privileges_are_enforced(boot_os):
    r = boot_os(image("denied"))
    assert_passed(r, "denied")
    c = checks(r)
    assert c["lonely_send_denied"].int("got") == -104          # ECALLDENIED
    assert c["lonely_privctl_denied"].int("got") == -104
    assert c["peer_saw_nothing_from_lonely"].int("got") == 0


def test_bad_pointers_and_lengths_get_errors(boot_os):
    r = boot_os(image("badptr"))
    assert_passed(r, "badptr")
    assert len([e for e in r.events if e.kind == "check"]) >= 20
    assert not events_of(r, "panic")


def test_fork_exec_and_own_signal_manager(boot_os):
    r = boot_os(image("spawn"))
    assert_passed(r, "spawn")
    assert events_of(r, "signal", proc="spawned", mgr="ktest")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_kernel_calls_and_ipc_never_crash_the_kernel(boot_os, seed):
    r = boot_os(image(f"fuzz 30000 {seed}"))
    assert_passed(r, f"fuzz seed {seed}")
    done = events_of(r, "fuzz_done")[0]
    assert done.int("n") == 30000 and done.int("strange") == 0
    assert done.int("errors") > done.int("ok") > 0       # hostile input mostly refused
    assert not events_of(r, "panic")
    # process-ending and -changing calls aimed at RS's live processes: all
    # refused, and RS and every process are still there
    assert done.int("live_denied") > 100 and done.int("live_obeyed") == 0
    assert not events_of(r, "exit", why="killed") and not events_of(r, "died")


def test_blocked_client_is_told_of_its_servers_death_at_once(boot_os):
    # issue 22: victim takes the request, works, exits without answering;
    # the caller, blocked for its reply with a deadline of 1000 ticks, gets
    # EDEADSRCDST when the victim dies, not at the deadline
    r = boot_os(image("deadsrc", victim="muteexit"))
    assert_passed(r, "deadsrc")
    assert events_of(r, "exit", proc="victim")
    assert not events_of(r, "ipc_timeout")


def test_sendrec_deadline_ends_a_wait_for_a_lost_reply(boot_os):
    # victim takes the request and never answers (a reply lost inside the
    # server): the caller's SENDREC ends at its deadline with ETIMEDOUT,
    # the kernel says which half was lost, and the victim serves on
    r = boot_os(image("timeout", victim="mute"))
    assert_passed(r, "timeout")
    lost = events_of(r, "ipc_timeout", proc="ktest", dst="victim", lost="reply")
    assert len(lost) == 1, [e.raw for e in r.events if e.kind == "ipc_timeout"]


def test_sender_left_blocked_in_no_queue_is_told_of_its_partners_death(fi_os):
    # kernel.ipc.sendblock on ktest's second SENDREC (T_GO): the victim
    # takes it, ktest is left blocked as if still sending, in no queue (a
    # lost wakeup). The victim then exits: ktest too is told EDEADSRCDST
    # at once, not at its deadline of 1000 ticks (it used to be skipped,
    # being in no receiver's queue)
    s = fi_os(image("deadsrc", victim="muteexit"), wait_ready=False,
              arm_at_boot=[dict(site="kernel.ipc.sendblock", fault="error", proc="ktest",
                                trigger="nth", n=2)])
    done = s.console.wait_event("test_done", timeout=60)
    fired = [e for e in s.events if e.kind == "fi_fired" and e.get("site") == "kernel.ipc.sendblock"]
    assert len(fired) == 1 and fired[0].get("proc") == "ktest", [e.raw for e in fired]
    failed = [f"{e.get('name')}: got {e.get('got')}" for e in s.events
              if e.kind == "check" and e.get("ok") != "1"]
    assert not failed and done.int("failures") == 0, failed
    assert not [e for e in s.events if e.kind == "ipc_timeout"]


def test_fast_path_is_taken_and_keeps_semantics(boot_os):
    # issue 23: a round trip with peer waiting goes through the kernel's
    # IPC fast path (its counter, in GET_KINFO, grows by our SENDREC,
    # peer's reply and peer's RECEIVE at least), and the fast-path cases
    # end as before: the whole reply, a refused sender, a dead partner
    r = boot_os(image("fastipc", victim="muteexit"))
    assert_passed(r, "fastipc")
    c = checks(r)
    assert c["fast_path_taken"].int("got") == 1
    assert c["lonely_send_denied"].int("got") == -104         # ECALLDENIED
    assert c["told_of_death"].int("got") == -106              # EDEADSRCDST
    assert events_of(r, "exit", proc="victim")
    assert not events_of(r, "ipc_timeout")
    # no fault armed anywhere: the round trip's three calls went the lean
    # way, without a recovery point (os/kernel/fi_quiet.c)
    paths = events_of(r, "ipc_paths")[0]
    assert paths.int("fast") >= 3 and paths.int("lean") == paths.int("fast"), paths.raw


# a fault that can act in the kernel (armed, never firing here) keeps
# every IPC on the contained path; one that can act only in a process
# does not. (A kernel.ipc.* site takes the IPC off the fast path as a
# whole: test_kernel_ipc_faults.py.)
def _armed(kind):
    if kind == "kernel hand site":
        return dict(site="kernel.call", fault="error", proc="nobody")
    if kind == "kernel automatic site":
        # a block of live update's kernel call, which this test never makes
        site = next(a for a in autosites.sites(bootimage.kernel_path()) if a.function == "do_update")
        return dict(site=site.marker, fault=site.faults()[0], proc="kernel")
    return dict(site="sef.ping", fault="error", proc="nobody")


@pytest.mark.parametrize("kind, lean", [("kernel hand site", False),
                                        ("kernel automatic site", False),
                                        ("process hand site", True)])
def test_lean_ipc_only_while_no_fault_can_act_in_the_kernel(fi_os, kind, lean):
    s = fi_os(image("fastipc", victim="muteexit"), wait_ready=False,
              arm_at_boot=[dict(_armed(kind), trigger="nth", n=1000000)])
    done = s.console.wait_event("test_done", timeout=60)
    failed = [f"{e.get('name')}: got {e.get('got')}" for e in s.events
              if e.kind == "check" and e.get("ok") != "1"]
    assert not failed and done.int("failures") == 0, failed
    assert not [e for e in s.events if e.kind == "fi_fired"]
    paths = [e for e in s.events if e.kind == "ipc_paths"][0]
    assert paths.int("fast") >= 3, paths.raw
    assert paths.int("lean") == (paths.int("fast") if lean else 0), paths.raw
