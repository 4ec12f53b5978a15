"""A prepare-only update (`service update L -o`, MINIX's `service -o`):
the service reaches the requested state, RS says so and answers OK,
nothing is replaced (no new version, same endpoint and pid, no restart),
and the service goes on serving with its state."""

from faultinj import errnos


def test_prepare_only_reaches_the_state_and_replaces_nothing(live_os):
    con = live_os()
    m = con.mark()
    con.run("run wl kv 40")
    con.wait_event("wl_done", since=m, timeout=60)
    before = con.service_row("kv")
    m = con.mark()
    ev = con.run("service update kv -o -state request_free", expect=None, timeout=60)
    assert ev.int("result") == 0
    assert con.events("update_prepared", since=m, label="kv", state=2)
    assert con.events("update_prepare_only", since=m, label="kv", state=2)
    for kind in ("update_started", "update_done", "update_failed", "restarted", "exec"):
        assert not con.events(kind, since=m), kind
    after = con.service_row("kv")
    for k in ("ep", "pid", "restarts"):
        assert after.get(k) == before.get(k), k
    # it goes on serving, its 40 keys kept: a crash afterwards restores them
    m = con.mark()
    con.run("run wl kv 5 crash@2")
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("wrong") == 0 and done.int("gone") == 0 and done.int("lost") == 0
    restored = con.events("kv_restored", since=m, type=2)
    assert restored and restored[0].int("keys") >= 40, [e.raw for e in restored]
    m = con.mark()
    assert con.run("service update kv", expect=None, timeout=60).int("result") == 0
    assert con.events("update_done", since=m, label="kv")


def test_prepare_only_of_a_state_never_reached_times_out(live_os):
    con = live_os()
    m = con.mark()
    ev = con.run("service update kv -o -state unreachable -maxtime 1HZ", expect=None, timeout=60)
    assert ev.int("result") == errnos.ETIMEDOUT
    assert con.events("update_aborted", since=m, label="kv", why="prepare-timeout")
    assert not con.events("update_prepare_only", since=m)
