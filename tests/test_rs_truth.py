"""RS's answers are true (issue 18): what `service` is told is what happened.

Lies these tests catch:
- an update whose new version never finishes its init was answered OK: RS
  pinged the new version during its init, killed it as hung and restarted
  the NEW image, whose restart init then answered the update's caller
  (now the old version, suspended, simply goes on: no restart at all);
- a service that crashed or hung while preparing for an update had its
  update answered OK by the restart that followed;
- a new version crashing in its init must fail the update and roll back
  to the old image (checked here, it was already true);
- `service restart` and `service refresh` were answered OK before the new
  instance's init had run, and OK even when that init then failed;
- (kept true) an update refused in prepare is answered with its error.
Each test checks the caller's answer, RS's events, and that the old
version serves again afterwards."""

import pytest

from faultinj import bootimage, errnos

KV_VERSIONS = bootimage.system() + [("kv2", "noexec"), ("kv3", "noexec")]


def _fill(con, n=40):
    assert con.workload("kv", n).int("answered") == n


def _serves(con, target, n=20):
    m = con.mark()
    con.run(f"run wl {target} {n}")
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("answered") == n and done.int("wrong") == 0, done.raw


def _index(con, ev):
    return next(i for i, e in enumerate(con.q.serial.events) if e is ev)


def _restored_old_kv(con, mark, keys):
    """kv (layout KV01), not kv2 (KV02), came back with its keys."""
    back = [e for e in con.events("kv_restored", since=mark) if e.int("type") == 2]
    assert back and back[-1].get("layout") == "KV01" and back[-1].int("keys") >= keys, back


def _rolled_back(con, mark, label, keys=0):
    """The old version went on as it was (live update keeps it suspended
    until the new init succeeds): no restart, and for kv the running one
    is the old image (KV01) with every key, as a crash now shows."""
    back = con.events("update_rolled_back", since=mark, label=label)
    assert back, "the old version was not resumed"
    assert not con.events("restarted", since=mark, label=label)
    if label == "kv":
        m = con.mark()
        con.run("run wl kv 20 crash@5", timeout=60)
        done = con.wait_event("wl_done", since=m, timeout=60)
        assert done.int("answered") == 20 and done.int("wrong") == 0, done.raw
        _restored_old_kv(con, m, keys)


def test_update_whose_new_version_never_finishes_init_rolls_back(live_os):
    """kv -> kv2 whose init never ends: no pings during its init, the init
    deadline fails the update, kv (the old image) is started again."""
    con = live_os(KV_VERSIONS)
    _fill(con)
    mark = con.mark()
    ev = con.run("service update kv -binary kv2 -state 1 -maxtime 100 -inittimeout",
                 expect=None, timeout=60)
    assert ev.int("result") == errnos.ETIMEDOUT
    assert con.events("update_prepared", since=mark, label="kv")
    assert con.events("init_timeout", since=mark, label="kv")
    assert not con.events("ping_missed", since=mark, label="kv")     # not pinged in init
    failed = con.events("update_failed", since=mark, label="kv")
    assert failed and failed[0].int("rollback") == 1 and failed[0].get("why") == "init-timeout"
    assert failed[0].int("result") == errnos.ETIMEDOUT
    assert not con.events("update_done", since=mark)
    _rolled_back(con, mark, "kv", 40)
    _serves(con, "kv")


def test_echo_update_with_silent_init_is_not_answered_ok(live_os):
    """The issue's own command: echo (restart policy, same endpoint)."""
    con = live_os()
    mark = con.mark()
    ev = con.run("service update echo -maxtime 100 -state 1 -inittimeout", expect=None, timeout=60)
    assert ev.int("result") == errnos.ETIMEDOUT
    assert not con.events("ping_missed", since=mark, label="echo")
    assert con.events("update_failed", since=mark, label="echo", rollback=1, why="init-timeout")
    assert not con.events("update_done", since=mark)
    _rolled_back(con, mark, "echo")
    _serves(con, "echo")


@pytest.mark.parametrize("fault,why,err", [
    ("crash", "crashed-while-preparing", errnos.EFAULT),
    ("hang", "hung-while-preparing", errnos.ETIMEDOUT),
])
def test_failure_while_preparing_aborts_the_update(live_os, fault, why, err):
    """kv waits for a state it never reaches (5); a fault at the site hit
    only while an update is pending strikes it there. The update is
    aborted with the cause, the old kv is restarted and serves, and its
    restart does not answer the update's caller."""
    con = live_os()
    _fill(con)
    con.run(f"service fi kv sef.lu.pending {fault} nth=1")
    mark = con.mark()
    ev = con.run("service update kv -state 5 -maxtime 300", expect=None, timeout=60)
    assert ev.int("result") == err
    ab = con.events("update_aborted", since=mark, label="kv")
    assert ab and ab[0].get("why") == why and ab[0].int("result") == err
    assert not con.events("update_prepared", since=mark)
    assert not con.events("update_done", since=mark)
    con.wait_event("init_result", since=mark, label="kv", type="restart", result=0, timeout=60)
    _restored_old_kv(con, mark, 40)
    _serves(con, "kv")


def test_new_version_crashing_in_init_rolls_back(live_os):
    con = live_os(KV_VERSIONS)
    _fill(con)
    mark = con.mark()
    ev = con.run("service update kv -binary kv2 -state 1 -maxtime 100 -initcrash",
                 expect=None, timeout=60)
    assert ev.int("result") == errnos.EFAULT
    failed = con.events("update_failed", since=mark, label="kv")
    assert failed and failed[0].int("rollback") == 1 and failed[0].get("why") == "crashed-in-init"
    assert not con.events("update_done", since=mark)
    _rolled_back(con, mark, "kv", 40)
    _serves(con, "kv")


@pytest.mark.parametrize("op,label,init", [("restart", "kv", "restart"),
                                           ("refresh", "echo", "fresh")])
def test_restart_and_refresh_are_answered_once_serving(live_os, op, label, init):
    con = live_os()
    mark = con.mark()
    ev = con.run(f"service {op} {label}", timeout=60)
    res = con.events("init_result", since=mark, label=label, type=init, result=0)
    assert res, "answered before the new instance's init was done"
    assert _index(con, res[0]) < _index(con, ev)
    _serves(con, label)


@pytest.mark.parametrize("op,label,flag,err", [
    ("restart", "kv", "-inittimeout", errnos.ETIMEDOUT),
    ("refresh", "echo", "-initcrash", errnos.EFAULT),
])
def test_restart_whose_init_fails_is_answered_with_the_failure(live_os, op, label, flag, err):
    """The requested instance's init fails: the caller learns it, and the
    restart RS does next (which succeeds) does not answer it again."""
    con = live_os()
    mark = con.mark()
    ev = con.run(f"service {op} {label} {flag}", expect=None, timeout=60)
    assert ev.int("result") == err
    res = con.events("init_result", since=mark, label=label)
    assert res and res[0].int("result") == err
    back = con.wait_event("init_result", since=mark, label=label, type="restart", result=0,
                          timeout=60)
    assert _index(con, ev) < _index(con, back)
    assert con.events("restart_scheduled", since=mark, label=label, cause="init-failed")
    _serves(con, label)


def test_update_refused_in_prepare_is_answered_with_the_error(live_os):
    """kv does not know state 9: it refuses in its prepare; the update is
    aborted with its error (this one was true already; kept so)."""
    con = live_os()
    _fill(con)
    mark = con.mark()
    ev = con.run("service update kv -state 9 -maxtime 100", expect=None, timeout=60)
    assert ev.int("result") == errnos.EINVAL
    ab = con.events("update_aborted", since=mark, label="kv")
    assert ab and ab[0].get("why") == "prepare-refused" and ab[0].int("result") == errnos.EINVAL
    assert not con.events("update_done", since=mark) and not con.events("restarted", since=mark)
    _serves(con, "kv")
