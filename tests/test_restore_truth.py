"""No stateful service starts empty and says OK: a restore that fails for
any reason but "nothing was saved" (ENOENT) fails the init with its cause.
DS dying under the restore (site ds.retrieve) no longer fails it: SEF's DS
calls are asked again once DS is back (os/lib/sef/sef_callbacks.c), so the
state comes back in that very init - every key, never an empty table
reported as restored, never a failed restore reported as a success. DS
having dropped kept entries that failed their checksum (site
ds.keep.corrupt) must still end in a failed init (ELOST), never in an
empty table reported as restored."""

from faultinj import errnos


def _fill(con, target="kv", n=50):
    done = con.workload(target, n)
    assert done.int("answered") == n and done.int("wrong") == 0, done.raw
    return done


def _no_empty_restore(con, m, kind, field):
    empty = [e.raw for e in con.events(kind, since=m) if e.int(field) == 0]
    assert not empty, empty


def _ds_died_under_the_restore(con, m):
    """DS crashed on the restore's request and RS brought it back."""
    con.wait_event("fi_fired", since=m, site="ds.retrieve", timeout=60)
    con.wait_event("died", since=m, label="ds", timeout=60)
    con.wait_event("restarted", since=m, label="ds", timeout=60)


def test_kv_update_keeps_its_state_when_ds_dies_under_the_restore(live_os):
    # (was: the update rolled back. SEF now asks DS again once it is back,
    # so the new version gets every key; what must not happen is what the
    # test always ruled out: an empty or partial table taken for restored)
    con = live_os()
    _fill(con)
    m = con.mark()
    con.run("service fi ds ds.retrieve crash nth=1")
    con.run("service update kv -state 1 -maxtime 100", expect=None, timeout=60)
    _ds_died_under_the_restore(con, m)
    res = con.wait_event("init_result", since=m, label="kv", type="lu", timeout=60)
    assert res.int("result") == 0, res.raw
    con.wait_event("update_done", since=m, label="kv", timeout=60)
    lu = con.events("kv_restored", since=m, type=1)
    assert lu and lu[0].int("keys") >= 50, [e.raw for e in lu]
    assert not con.events("kv_restore_failed", since=m)
    assert not con.events("update_failed", since=m, label="kv")
    _no_empty_restore(con, m, "kv_restored", "keys")
    # the new version holds every key: the client finds none stale or lost,
    # and a crash now restores them all
    after = _fill(con)
    assert after.int("stale") == 0 and after.int("lost") == 0, after.raw
    mc = con.mark()
    con.run("run wl kv 20 crash@5", timeout=60)
    assert con.wait_event("wl_done", since=mc, timeout=60).int("wrong") == 0
    back = con.wait_event("kv_restored", since=mc, type=2, timeout=60)
    assert back.int("keys") >= 50, back.raw


def _restart_under_a_dead_ds(con, label, failed_kind, restored_kind, field, at_least):
    """Restart label while DS dies on its restore request: the restore is
    asked again once DS is back, and the state (restored_kind's field)
    comes back in that same init; no failed restore, no empty one.
    Returns the mark."""
    m = con.mark()
    con.run("service fi ds ds.retrieve crash nth=1")
    con.run(f"service restart {label}", expect=None, timeout=60)
    _ds_died_under_the_restore(con, m)
    back = con.wait_event(restored_kind, since=m, type=2, timeout=60)
    assert back.int(field) >= at_least, back.raw
    ok = con.wait_event("init_result", since=m, label=label, type="restart", timeout=60)
    assert ok.int("result") == 0, ok.raw
    assert not con.events(failed_kind, since=m)
    _no_empty_restore(con, m, restored_kind, field)
    return m


def test_kv_restart_keeps_its_state_when_ds_dies_under_the_restore(live_os):
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
    _restart_under_a_dead_ds(con, "pm", "pm_restore_failed", "pm_restored", "procs",
                             procs_before - 1)


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
