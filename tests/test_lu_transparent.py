"""Live update keeps the old version until the new one is ready (issue 19):
the new version runs in a process of its own and takes the service's
endpoint and pid only through SYS_UPDATE; if its init crashes, times out
or refuses, the old version, suspended meanwhile, simply goes on. So a
rolled-back update is invisible to everyone but the one who asked: the
caller gets the error, and the service keeps its endpoint, pid, restart
count, intensity strikes and every key, and the new version's process is
gone with its memory. While an update is pending, RS refuses every other
lifecycle request for that service, and any second update, with EBUSY."""

import pytest

from faultinj import bootimage, errnos


def _fill(con, n=40):
    done = con.workload("kv", n)
    assert done.int("answered") == n and done.int("wrong") == 0, done.raw


def _free(con):
    m = con.mark()
    con.run("free")
    return con.events("vm_info", since=m)[0].int("free")


def _kv_procs(con):
    """PM's process tree rows named kv (`ps`)."""
    m = con.mark()
    con.run("ps")
    return con.events("proc", since=m, name="kv")


def _same_identity(before, after):
    for f in ("ep", "pid", "restarts", "strikes"):
        assert after.get(f) == before.get(f), (f, before.raw, after.raw)


@pytest.mark.parametrize("flag,why,err", [
    ("-initcrash", "crashed-in-init", errnos.EFAULT),
    ("-inittimeout", "init-timeout", errnos.ETIMEDOUT),
    ("-initfail", "init-failed", errnos.EINVAL),
])
def test_failed_update_leaves_kv_as_it_was(live_os, flag, why, err):
    """kv (reset policy: any restart would change its endpoint)."""
    con = live_os()
    _fill(con)
    before = con.service_row("kv")
    free_before = _free(con)
    mark = con.mark()
    # a load beside the update: a PUT answers what the key held, so its
    # ledger sees a key lost or changed (gone, wrong, stale)
    con.run("run wl kv 300")
    ev = con.run(f"service update kv -state 1 -maxtime 100 {flag}", expect=None, timeout=60)
    assert ev.int("result") == err
    done = con.wait_event("wl_done", since=mark, timeout=120)
    for f in ("wrong", "stale", "gone", "lost"):
        assert done.int(f) == 0, done.raw
    dump = con.events("lu_state_dump", since=mark, label="kv")
    assert dump and dump[0].int("keys") >= 40
    failed = con.events("update_failed", since=mark, label="kv")
    assert failed and failed[0].get("why") == why and failed[0].int("rollback") == 1
    assert failed[0].int("result") == err
    back = con.events("update_rolled_back", since=mark, label="kv")
    assert back and back[0].get("ep") == before.get("ep")
    # nothing restarted, nothing restored, no strike: the old kv went on
    assert not con.events("restarted", since=mark, label="kv")
    assert not con.events("restart_scheduled", since=mark, label="kv")
    assert not con.events("kv_restored", since=mark)
    _same_identity(before, con.service_row("kv"))
    # the new version's process ended (kernel), and PM never saw it
    started = con.events("update_started", since=mark, label="kv")
    assert started and started[0].get("ep") == before.get("ep")
    spare = started[0].get("spare_ep")
    assert con.events("exit", since=mark, ep=spare)
    procs = _kv_procs(con)
    assert len(procs) == 1 and procs[0].get("ep") == before.get("ep") \
        and procs[0].get("pid") == before.get("pid"), [p.raw for p in procs]
    assert _free(con) == free_before          # its memory went back
    # the table it serves from is the one it had: no restore happened
    # (above), and a crash now brings back every key it saved
    m = con.mark()
    con.run("run wl kv 20 crash@5", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("wrong") == 0
    back = con.wait_event("kv_restored", since=m, type=2, timeout=60)
    assert back.int("keys") >= dump[0].int("keys"), back.raw


def test_successful_update_keeps_endpoint_and_pid(live_os):
    con = live_os()
    _fill(con)
    before = con.service_row("kv")
    mark = con.mark()
    con.run("service update kv -state 1 -maxtime 100", timeout=60)
    done = con.events("update_done", since=mark, label="kv")
    assert done and done[0].get("ep") == before.get("ep")
    lu = con.events("kv_restored", since=mark, type=1)
    assert lu and lu[0].int("keys") >= 40
    assert not con.events("restarted", since=mark)
    _same_identity(before, con.service_row("kv"))
    # the old version, suspended in the spare slot, ended
    spare = con.events("update_started", since=mark, label="kv")[0].get("spare_ep")
    assert con.events("exit", since=mark, ep=spare)
    procs = _kv_procs(con)
    assert len(procs) == 1 and procs[0].get("pid") == before.get("pid")
    m = con.mark()
    con.run("run wl kv 20")
    assert con.wait_event("wl_done", since=m, timeout=60).int("wrong") == 0


def test_requests_during_a_pending_update_are_busy(live_os):
    """The scenario driver asks for an update of kv to state 5 (never
    reached) without waiting, then for a restart and a refresh of kv and
    another update of kv and of echo: each is refused with EBUSY. After
    the prepare times out nothing stays attached: no new instance was
    started, kv serves with every key and nothing was restarted."""
    steps = "kv:30 hold:kv restart:kv refresh:kv update:echo update:kv watch:400 verify:kv kv:20"
    con = live_os(bootimage.system() + [("scenario", steps)], wait_ready=False)
    con.wait_event("sc_done", timeout=120)
    res = {e.get("op") + ":" + e.get("label"): e.int("result") for e in con.events("sc_service")}
    assert res["hold:kv"] == 0
    for req in ("restart:kv", "refresh:kv", "update:echo", "update:kv"):
        assert res[req] == errnos.EBUSY, (req, res)
    ab = con.events("update_aborted", label="kv")
    assert ab and ab[0].get("why") == "prepare-timeout"
    assert not con.events("update_started") and not con.events("update_done")
    assert not con.events("restarted") and not con.events("service_restart") \
        and not con.events("service_refresh")
    v = con.events("sc_verify", target="kv")
    assert v and v[0].int("verified") > 0 and v[0].int("gone") == 0 and v[0].int("wrong") == 0
    last = con.events("wl_done", target="kv")[-1]
    assert last.int("answered") == 20 and last.int("wrong") == 0, last.raw
