"""No stateful service starts empty and says OK: a restore that fails for
any reason but "nothing was saved" (ENOENT) fails the init with its cause.
DS dying under the restore (site ds.retrieve) or DS having dropped kept
entries that failed their checksum (site ds.keep.corrupt) must end in a
failed init - an update rolled back, a restart retried by RS - never in an
empty table reported as restored."""

from faultinj import errnos


def _fill(con, target="kv", n=50):
    done = con.workload(target, n)
    assert done.int("answered") == n and done.int("wrong") == 0, done.raw
    return done


def _no_empty_restore(con, m, kind, field):
    empty = [e.raw for e in con.events(kind, since=m) if e.int(field) == 0]
    assert not empty, empty


def test_kv_update_rolls_back_when_ds_dies_under_the_restore(live_os):
    con = live_os()
    _fill(con)
    m = con.mark()
    con.run("service fi ds ds.retrieve crash nth=1")
    con.run("service update kv -state 1 -maxtime 100", expect=None, timeout=60)
    con.wait_event("fi_fired", since=m, site="ds.retrieve", timeout=60)
    failed = con.wait_event("kv_restore_failed", since=m, type=1, timeout=60)
    assert failed.int("err") != 0 and failed.int("err") != errnos.ENOENT, failed.raw
    res = con.wait_event("init_result", since=m, label="kv", type="lu", timeout=60)
    assert res.int("result") == failed.int("err"), res.raw
    con.wait_event("update_failed", since=m, label="kv", rollback=1, timeout=60)
    # the old version goes on, never restarted; it has every key, as a
    # crash now shows (its restart restores them)
    con.wait_event("update_rolled_back", since=m, label="kv", timeout=60)
    assert not con.events("restarted", since=m, label="kv")
    assert not con.events("update_done", since=m, label="kv")
    mc = con.mark()
    con.run("run wl kv 20 crash@5", timeout=60)
    assert con.wait_event("wl_done", since=mc, timeout=60).int("wrong") == 0
    back = con.wait_event("kv_restored", since=mc, type=2, timeout=60)
    assert back.int("keys") >= 50, back.raw
    _no_empty_restore(con, m, "kv_restored", "keys")
    after = _fill(con)
    assert after.int("stale") == 0 and after.int("lost") == 0, after.raw
    # and an update now carries the 50 keys over
    m2 = con.mark()
    con.run("service update kv -state 1 -maxtime 100", expect=None, timeout=60)
    con.wait_event("update_done", since=m2, label="kv", timeout=60)
    lu = con.events("kv_restored", since=m2, type=1)
    assert lu and lu[0].int("keys") >= 50, [e.raw for e in lu]


def _restart_under_a_dead_ds(con, label, failed_kind, restored_kind, field, at_least):
    """Restart label while DS dies on its restore request: the init fails
    with DS's death as its cause, and RS's next restart, with DS back,
    brings the state (restored_kind's field) back. Returns the mark."""
    m = con.mark()
    con.run("service fi ds ds.retrieve crash nth=1")
    con.run(f"service restart {label}", expect=None, timeout=60)
    con.wait_event("fi_fired", since=m, site="ds.retrieve", timeout=60)
    failed = con.wait_event(failed_kind, since=m, type=2, timeout=60)
    assert failed.int("err") != errnos.ENOENT, failed.raw
    bad = con.wait_event("init_result", since=m, label=label, type="restart", timeout=60)
    assert bad.int("result") == failed.int("err"), bad.raw
    # RS restarts it again; by then DS is back and the state comes with it
    back = con.wait_event(restored_kind, since=m, type=2, timeout=60)
    assert back.int(field) >= at_least, back.raw
    con.wait_event("init_result", since=m, label=label, type="restart", result=0, timeout=60)
    _no_empty_restore(con, m, restored_kind, field)
    return m


def test_kv_restart_retried_when_ds_dies_under_the_restore(live_os):
    con = live_os()
    _fill(con)
    _restart_under_a_dead_ds(con, "kv", "kv_restore_failed", "kv_restored", "keys", 50)
    after = _fill(con)
    assert after.int("stale") == 0 and after.int("lost") == 0, after.raw


def test_echo_counter_not_reset_when_ds_dies_under_the_restore(live_os):
    con = live_os()
    _fill(con, "echo", 20)
    _restart_under_a_dead_ds(con, "echo", "echo_restore_failed", "echo_restored", "served", 20)
    after = _fill(con, "echo", 5)
    assert after.int("stale") == 0, after.raw


def test_pm_tree_not_reset_when_ds_dies_under_the_restore(live_os):
    con = live_os()
    m = con.mark()
    con.run("ps")
    procs_before = len(con.events("proc", since=m))
    m = con.mark()
    con.run("service fi ds ds.retrieve crash nth=1")
    con.run("service restart pm", expect=None, timeout=60)
    con.wait_event("fi_fired", since=m, site="ds.retrieve", timeout=60)
    failed = con.wait_event("pm_restore_failed", since=m, type=2, timeout=60)
    assert failed.int("err") != errnos.ENOENT, failed.raw
    bad = con.wait_event("init_result", since=m, label="pm", type="restart", timeout=60)
    assert bad.int("result") == failed.int("err"), bad.raw
    back = con.wait_event("pm_restored", since=m, type=2, timeout=60)
    assert back.int("procs") >= procs_before - 1, back.raw
    con.wait_event("init_result", since=m, label="pm", type="restart", result=0, timeout=60)
    _no_empty_restore(con, m, "pm_restored", "procs")


def test_ds_dropping_corrupt_kept_state_is_not_nothing_saved(live_os):
    """DS's kept entries fail their checksum on its restart: DS drops them
    and from then on answers ELOST, not ENOENT, for state it has not got,
    so kv fails its restore instead of starting empty."""
    con = live_os()
    _fill(con)
    m = con.mark()
    con.run("service fi ds ds.keep.corrupt error times=64")
    con.run("service restart ds", expect=None, timeout=60)
    reb = con.wait_event("ds_rebuilt", since=m, timeout=60)
    assert reb.int("dropped") > 0, reb.raw
    con.run("service fi off")
    m = con.mark()
    con.run("service restart kv", expect=None, timeout=60)
    bad = con.wait_event("init_result", since=m, label="kv", type="restart", timeout=60)
    _no_empty_restore(con, m, "kv_restored", "keys")
    assert bad.int("result") == errnos.ELOST, bad.raw
    failed = con.events("kv_restore_failed", since=m, type=2)
    assert failed and failed[0].int("err") == errnos.ELOST, [e.raw for e in failed]
    assert con.events("ds_state_lost", since=m, label="kv")
    assert reb.int("lost") == 1, reb.raw
