"""Multi-service live update as one transaction (issue 19, item 4):
`service update L -q ...` queues an update, `service sysctl upd_run` runs
the queue. Every service prepares first (each waits, suspended, in its
RS_LU_READY call), then every one is swapped with its new version and the
new versions initialise one by one, DS, VM and PM first. The batch either
commits as a whole or leaves every service as it was: same endpoint, pid,
restart count and state, nothing restarted, memory back."""

import pytest

from faultinj import bootimage, errnos


def _fill(con, target="kv", n=40):
    done = con.workload(target, n)
    assert done.int("answered") == n and done.int("wrong") == 0, done.raw
    return done


def _free(con):
    m = con.mark()
    con.run("free")
    return con.events("vm_info", since=m)[0].int("free")


def _rows(con, labels):
    m = con.mark()
    con.run("service list")
    return {lb: con.events("service", since=m, label=lb)[0] for lb in labels}


def _same(before, after):
    for lb, b in before.items():
        for f in ("ep", "pid", "restarts"):
            assert after[lb].get(f) == b.get(f), (lb, f, b.raw, after[lb].raw)


def _queue(con, entries):
    for lb, extra in entries:
        ev = con.run(f"service update {lb} -q -state 1 -maxtime 100 {extra}".strip(), expect=None)
        assert ev.int("result") == 0, (lb, ev.raw)


def _state_kept(con):
    """kv's keys and echo's counter went on: the workloads check every
    answer against what was acknowledged before, and a crash of kv now
    restores every key it saved."""
    _fill(con, "kv", 20)
    assert _fill(con, "echo", 5).int("stale") == 0
    m = con.mark()
    con.run("run wl kv 20 crash@5", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("wrong") == 0
    back = con.wait_event("kv_restored", since=m, type=2, timeout=60)
    assert back.int("keys") >= 40, back.raw


@pytest.mark.parametrize("labels", [("kv", "echo", "ds"), ("kv", "echo", "ds", "pm", "vm")])
def test_batch_updates_all_and_keeps_identity_and_state(live_os, labels):
    con = live_os()
    _fill(con)
    _fill(con, "echo", 20)
    before = _rows(con, labels)
    mark = con.mark()
    _queue(con, [(lb, "") for lb in labels])
    assert [e.get("label") for e in con.events("update_queued", since=mark)] == list(labels)
    # queued only: nothing asked of any service yet
    assert not con.events("update_requested", since=mark)
    ev = con.run("service sysctl upd_run", expect=None, timeout=120)
    assert ev.int("result") == 0, con.q.serial.tail(3000)
    for lb in labels:
        done = con.events("update_done", since=mark, label=lb)
        assert done and done[0].get("ep") == before[lb].get("ep"), lb
    # every one prepared before the first swap
    evs = [e.kind for e in con.q.serial.events[mark:]
           if e.kind in ("update_prepared", "update_started")]
    assert evs == ["update_prepared"] * len(labels) + ["update_started"] * len(labels), evs
    # DS's new version initialised before any of its clients
    inits = [e.get("label") for e in con.events("init_result", since=mark, type="lu")]
    assert inits[0] == "ds", inits
    assert con.events("kv_restored", since=mark, type=1)[0].int("keys") >= 40
    assert con.events("echo_restored", since=mark, type=1)[0].int("served") >= 20
    assert not con.events("restarted", since=mark)
    _same(before, _rows(con, labels))
    _state_kept(con)


@pytest.mark.parametrize("flag,err", [("-initcrash", errnos.EFAULT), ("-initfail", errnos.EINVAL)])
def test_last_init_failing_rolls_back_every_one(live_os, flag, err):
    con = live_os()
    _fill(con)
    _fill(con, "echo", 20)
    labels = ("ds", "kv", "echo")
    before = _rows(con, labels)
    free_before = _free(con)
    mark = con.mark()
    _queue(con, [("ds", ""), ("kv", ""), ("echo", flag)])
    ev = con.run("service sysctl upd_run", expect=None, timeout=120)
    assert ev.int("result") == err
    # ds and kv initialised fine, and are rolled back all the same
    for lb in ("ds", "kv"):
        assert con.events("init_result", since=mark, label=lb, type="lu", result=0)
    for lb in labels:
        failed = con.events("update_failed", since=mark, label=lb)
        assert failed and failed[0].int("rollback") == 1, lb
        back = con.events("update_rolled_back", since=mark, label=lb)
        assert back and back[0].get("ep") == before[lb].get("ep"), lb
    assert con.events("update_failed", since=mark, label="echo")[0].get("why") != "batch-rolled-back"
    assert con.events("update_failed", since=mark, label="kv")[0].get("why") == "batch-rolled-back"
    assert not con.events("update_done", since=mark)
    assert not con.events("restarted", since=mark)
    assert not con.events("restart_scheduled", since=mark)
    # every new version's process ended
    for s in con.events("update_started", since=mark):
        assert con.events("exit", since=mark, ep=s.get("spare_ep")), s.raw
    _same(before, _rows(con, labels))
    assert _free(con) == free_before
    _state_kept(con)


def test_one_never_prepared_aborts_all(live_os):
    con = live_os()
    _fill(con)
    labels = ("kv", "echo", "ds")
    before = _rows(con, labels)
    mark = con.mark()
    # init order ds, echo, kv: prepared in reverse, so kv is prepared and
    # waits when echo times out, and ds is never asked
    ev = con.run("service update echo -q -state unreachable -maxtime 1HZ", expect=None)
    assert ev.int("result") == 0
    _queue(con, [("kv", ""), ("ds", "")])
    ev = con.run("service sysctl upd_run", expect=None, timeout=120)
    assert ev.int("result") == errnos.ETIMEDOUT
    ab = {e.get("label"): e.get("why") for e in con.events("update_aborted", since=mark)}
    assert ab == {"echo": "prepare-timeout", "kv": "batch-aborted", "ds": "batch-aborted"}, ab
    assert con.events("update_prepared", since=mark, label="kv")
    assert not con.events("update_started", since=mark)
    assert not con.events("update_done", since=mark)
    assert not con.events("restarted", since=mark)
    _same(before, _rows(con, labels))
    _state_kept(con)
    # the queue is empty again: a new batch runs
    m = con.mark()
    _queue(con, [("kv", "")])
    con.run("service sysctl upd_run", timeout=60)
    assert con.events("update_done", since=m, label="kv")


def test_queue_busy_status_and_stop(live_os):
    con = live_os()
    m = con.mark()
    _queue(con, [("kv", "")])
    ev = con.run("service update kv -q -state 1", expect=None)
    assert ev.int("result") == errnos.EBUSY
    assert con.run("service update rs -q", expect=None).int("result") == errnos.EPERM
    con.run("service sysctl upd_status")
    st = con.events("update_batch_status", since=m)
    assert st and st[-1].int("n") == 1 and st[-1].get("labels") == "kv", st[-1].raw
    con.run("service sysctl upd_stop")
    assert con.events("update_batch_discarded", since=m)[0].int("n") == 1
    assert con.run("service sysctl upd_run", expect=None).int("result") == errnos.ENOENT
    assert not con.events("update_requested", since=m)


def test_requests_while_a_batch_runs_are_busy(live_os):
    """The scenario driver queues kv and echo (echo to a state it never
    reaches), runs the batch without waiting, and meanwhile asks for a
    single update of kv and of ds and to queue ds: EBUSY each."""
    steps = ("kv:30 qhold:echo queue:kv queue:kv runhold update:kv update:ds queue:ds restart:kv"
             " watch:400 verify:kv")
    con = live_os(bootimage.system() + [("scenario", steps)], wait_ready=False)
    con.wait_event("sc_done", timeout=120)
    res = [(e.get("op") + ":" + e.get("label"), e.int("result")) for e in con.events("sc_service")]
    assert res == [("qhold:echo", 0), ("queue:kv", 0), ("queue:kv", errnos.EBUSY), ("runhold:-", 0),
                   ("update:kv", errnos.EBUSY), ("update:ds", errnos.EBUSY),
                   ("queue:ds", errnos.EBUSY), ("restart:kv", errnos.EBUSY)], res
    ab = {e.get("label"): e.get("why") for e in con.events("update_aborted")}
    assert ab == {"echo": "prepare-timeout", "kv": "batch-aborted"}, ab
    assert not con.events("update_started") and not con.events("restarted")
    v = con.events("sc_verify", target="kv")
    assert v and v[0].int("verified") > 0 and v[0].int("gone") == 0 and v[0].int("wrong") == 0
