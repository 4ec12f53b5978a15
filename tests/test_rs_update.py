"""Live update: a prepared update carries the state to the new version;
one whose prepare times out is aborted and the old version keeps serving."""


def test_live_update_carries_state(live_os):
    con = live_os()
    first = con.mark()
    con.run("run wl kv 40")                 # 40 keys stored before the update
    con.wait_event("wl_done", since=first, timeout=60)
    mark = con.mark()
    con.run("run wl kv 300")
    old_ep = con.events("init_result", label="kv")[0].get("ep")
    con.run("service update kv -state 1 -maxtime 100", timeout=60)
    done = con.wait_event("wl_done", since=mark, timeout=120)
    assert done.int("wrong") == 0 and done.int("lost") == 0
    assert con.events("update_prepared", since=mark, label="kv")
    upd = con.events("update_done", since=mark, label="kv")
    assert upd and upd[0].get("ep") == old_ep
    restored = con.events("kv_restored", since=mark)
    assert restored and restored[0].int("type") == 1 and restored[0].int("keys") >= 40


def test_live_update_prepare_timeout_aborts(live_os):
    con = live_os()
    mark = con.mark()
    ev = con.run("service update kv -state 5 -maxtime 50", expect=None, timeout=60)
    assert ev.int("result") == -60          # ETIMEDOUT
    ab = con.events("update_aborted", since=mark, label="kv")
    assert ab and ab[0].get("why") == "prepare-timeout"
    assert not con.events("update_done", since=mark)
    m2 = con.mark()
    con.run("run wl kv 50")
    done = con.wait_event("wl_done", since=m2, timeout=60)
    assert done.int("wrong") == 0 and done.int("answered") > 0


def test_new_version_failing_init_rolls_back(live_os):
    con = live_os()
    first = con.mark()
    con.run("run wl kv 30")
    con.wait_event("wl_done", since=first)
    mark = con.mark()
    ev = con.run("service update kv -state 1 -maxtime 100 -initfail", expect=None, timeout=60)
    assert ev.int("result") == -22                      # EINVAL from the new init
    assert con.events("update_prepared", since=mark, label="kv")
    res = con.events("init_result", since=mark, label="kv", type="lu")
    assert res and res[0].int("result") != 0
    assert con.events("update_failed", since=mark, label="kv", rollback=1)
    # the old version is started again, with its state, and serves
    back = con.wait_event("init_result", since=mark, label="kv", type="restart", result=0)
    restored = [e for e in con.events("kv_restored", since=mark) if e.int("type") == 2]
    assert restored and restored[-1].int("keys") >= 30
    m2 = con.mark()
    con.run("run wl kv 20")
    done = con.wait_event("wl_done", since=m2)
    assert done.int("wrong") == 0 and back.get("ep")
