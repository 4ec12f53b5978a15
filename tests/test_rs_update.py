"""Live update: a prepared update carries the state to the new version;
one whose prepare times out is aborted and the old version keeps serving;
a new version with a new state layout takes the old one over (transfer) or
fails its state check and is rolled back. A rollback is transparent: the
old version, suspended meanwhile, goes on with its endpoint and its memory
(no restart, no state restore; tests/test_lu_transparent.py)."""

from faultinj import bootimage, errnos


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
    # the old version goes on, as it was: not restarted, nothing restored
    back = con.events("update_rolled_back", since=mark, label="kv")
    assert back and back[0].get("ep") == res[0].get("ep")
    assert not con.events("restarted", since=mark)
    assert not [e for e in con.events("kv_restored", since=mark) if e.int("type") == 2]
    m2 = con.mark()
    con.run("run wl kv 20")
    done = con.wait_event("wl_done", since=m2)
    assert done.int("wrong") == 0


KV_VERSIONS = bootimage.system() + [("kv2", "noexec"), ("kv3", "noexec")]


def _fill(con, n=40):
    assert con.workload("kv", n).int("answered") == n


def test_update_to_a_new_layout_transfers_the_state(live_os):
    """kv -> kv2: kv2 saves its table differently (KV02) and transfers
    kv's (KV01); every key survives the update and kv2's own restart."""
    con = live_os(KV_VERSIONS)
    _fill(con)
    mark = con.mark()
    con.run("service update kv -binary kv2 -state 1 -maxtime 100", timeout=60)
    dump = con.events("lu_state_dump", since=mark, label="kv")
    assert dump and dump[0].get("layout") == "KV01" and dump[0].int("keys") >= 40
    tr = con.events("kv_state_transfer", since=mark)
    assert tr and tr[0].get("from") == "KV01" and tr[0].int("keys") == dump[0].int("keys")
    assert con.events("update_done", since=mark, label="kv")
    lu = [e for e in con.events("kv_restored", since=mark) if e.int("type") == 1]
    assert lu and lu[0].get("layout") == "KV02" and lu[0].int("keys") == dump[0].int("keys")
    # kv2 runs and saves in its own layout: a crash brings its table back
    m = con.mark()
    con.run("run wl kv 30 crash@10", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("wrong") == 0
    back = [e for e in con.events("kv_restored", since=m) if e.int("type") == 2]
    assert back and back[0].get("layout") == "KV02" and back[0].int("keys") >= 40


def test_update_without_a_state_transfer_rolls_back(live_os):
    """kv -> kv3: kv3 cannot take KV01, so its update init fails; RS rolls
    back to kv, which comes back with every key and serves."""
    con = live_os(KV_VERSIONS)
    _fill(con)
    mark = con.mark()
    ev = con.run("service update kv -binary kv3 -state 1 -maxtime 100", expect=None, timeout=60)
    assert ev.int("result") == errnos.ENOEXEC
    ref = con.events("kv_state_refused", since=mark)
    assert ref and ref[0].get("layout") == "KV03" and ref[0].get("found") == "KV01"
    assert con.events("update_failed", since=mark, label="kv", rollback=1)
    assert not con.events("update_done", since=mark)
    assert con.events("update_rolled_back", since=mark, label="kv")
    assert not con.events("restarted", since=mark)
    # the old kv (KV01) serves with every key: a crash now brings its
    # table back in its own layout
    m = con.mark()
    con.run("run wl kv 20 crash@5", timeout=60)
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("answered") == 20 and done.int("wrong") == 0
    back = [e for e in con.events("kv_restored", since=m) if e.int("type") == 2]
    assert back and back[-1].get("layout") == "KV01" and back[-1].int("keys") >= 40
