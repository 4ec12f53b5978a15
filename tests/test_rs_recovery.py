"""Recovery: a crashed or hung service is restarted (new endpoint for the
reset policy, same endpoint for the restart policy), DS learns the new
endpoint, init runs with the restart type, state comes back, and the
workload is served again without wrong answers. Repeated crashes back off
exponentially within a stage of the escalation chain, and RS gives up at
its end (tests/test_rs_intensity.py has the stages themselves)."""

import pytest


def run_workload(con, target, count, fault, timeout=120):
    mark = con.mark()
    con.run(f"run wl {target} {count} {fault}")
    done = con.wait_event("wl_done", timeout=timeout, since=mark)
    return done, mark


def assert_clean(done):
    assert done.int("wrong") == 0, done.raw
    assert done.int("lost") == 0, done.raw
    assert done.int("answered") > 0, done.raw


@pytest.mark.parametrize("fault", ["crash", "hang"])
def test_kv_recovers_with_new_endpoint(live_os, fault):
    con = live_os()
    old_ep = con.events("init_result", label="kv")[0].get("ep")
    done, mark = run_workload(con, "kv", 120, f"{fault}@40")
    assert_clean(done)
    assert done.int("retried") > 0
    restarted = con.events("restarted", since=mark, label="kv")
    assert restarted, con.q.serial.tail()
    new_ep = restarted[0].get("ep")
    assert new_ep != old_ep and restarted[0].get("policy") == "reset"
    if fault == "hang":
        assert con.events("ping_missed", since=mark, label="kv")
        assert con.events("killed", since=mark, label="kv")
    else:
        assert con.events("died", since=mark, label="kv")
    assert con.events("ds_publish", since=mark, label="kv", ep=new_ep)
    assert con.events("sef_init", since=mark, label="kv", type="restart")
    restored = con.events("kv_restored", since=mark)
    assert restored and restored[0].int("keys") > 0
    pub = [e for e in con.events("service", since=con.mark()) if e.get("label") == "kv"]
    mark2 = con.mark()
    con.run("service list")
    kv = con.events("service", since=mark2, label="kv")[0]
    assert kv.get("ep") == new_ep and kv.int("restarts") == 1


def test_echo_restart_policy_keeps_endpoint(live_os):
    con = live_os()
    old_ep = con.events("init_result", label="echo")[0].get("ep")
    done, mark = run_workload(con, "echo", 100, "crash@30")
    assert_clean(done)
    restarted = con.events("restarted", since=mark, label="echo")
    assert restarted and restarted[0].get("policy") == "restart"
    assert restarted[0].get("ep") == old_ep
    assert con.events("sef_init", since=mark, label="echo", type="restart")


def test_repeated_crashes_back_off_and_give_up(live_os):
    con = live_os()
    mark = con.mark()
    con.run("service down kv")
    con.run("service up kv -args crashloop", expect=None)
    given = con.wait_event("given_up", timeout=120, since=mark, label="kv")
    sched = con.events("restart_scheduled", since=mark, label="kv")
    delays = [e.int("delay") for e in sched]
    # kv's first stage allows 6 restarts in its window (sys table)
    assert delays[:6] == [0, 10, 20, 40, 80, 160], delays
    restarts = [e for e in con.events("restarted", since=mark, label="kv")]
    first_escalation = con.events("escalate", since=mark, label="kv")[0]
    stage1 = [e for e in restarts if e.t < first_escalation.t]
    # the gaps between restarts grow: exponential backoff in virtual time,
    # within the stage (the next stage starts again at once)
    gaps = [b.t - a.t for a, b in zip(stage1, stage1[1:])]
    assert all(g2 > g1 for g1, g2 in zip(gaps[1:], gaps[2:])), gaps
    assert given.int("restarts") == len(restarts)
    # the system still runs
    con.run("service list")


def test_ds_subscribers_learn_the_new_endpoint(live_os):
    con = live_os()
    done, mark = run_workload(con, "kv", 60, "crash@20")
    assert_clean(done)
    new_ep = con.events("restarted", since=mark, label="kv")[0].get("ep")
    # echo subscribed to "kv" in DS at its init; DS told it of the change
    saw = con.wait_event("echo_saw_change", since=mark, label="kv", ep=new_ep)
    assert saw.get("old") != new_ep


def test_core_service_that_keeps_failing_panics_the_system(fi_os):
    """mem (a core service) crashes at every heartbeat: RS restarts it
    with backoff until its restart intensity is exceeded; a core service's
    chain ends there (restart, giveup): RS gives up and halts the system with
    its panic, since the system cannot go on without a core service."""
    from faultinj.exitcodes import HOST_PANIC
    s = fi_os(arm_at_boot=[dict(site="sef.ping", fault="crash", proc="mem", trigger="times",
                                k=1000)], wait_ready=False)
    r = s.q.wait(120)
    assert r.exit_status == HOST_PANIC, (r.outcome, r.serial[-2000:])
    given = [e for e in r.events if e.kind == "given_up"]
    assert given and given[0].get("label") == "mem"
    panic = [e for e in r.events if e.kind == "panic" and e.get("who") == "rs"]
    assert panic and panic[0].get("reason") == "core service keeps failing"
    assert panic[0].get("proc") == "mem"
    restarts = [e for e in r.events if e.kind == "restarted" and e.get("label") == "mem"]
    assert len(restarts) == given[0].int("restarts") >= 6
