"""Dynamic services (`service up`): init is the first ping; a failing or
silent init brings the service down for good. `service` commands typed at
the console."""

import pytest

from faultinj import errnos

DBG = {"-initfail": "init_result", "-inittimeout": "init_timeout", "-initcrash": "died"}
# what `service up` answers: the init's own failure, a timeout, a crash
CAUSE = {"-initfail": errnos.EINVAL, "-inittimeout": errnos.ETIMEDOUT, "-initcrash": errnos.EFAULT}


@pytest.mark.parametrize("flag", sorted(DBG))
def test_service_up_with_bad_init_is_torn_down(live_os, flag):
    con = live_os()
    con.run("service down echo")
    mark = con.mark()
    ev = con.run(f"service up echo {flag}", expect=None, timeout=60)
    assert ev.int("result") == CAUSE[flag], errnos.name(ev.int("result"))
    assert con.events(DBG[flag], since=mark, label="echo")
    down = con.events("down", since=mark, label="echo")
    assert down and down[0].get("why") == "init-failed"
    assert not con.events("restarted", since=mark, label="echo")
    # the system goes on, and echo is not in RS's table any more
    m2 = con.mark()
    con.run("service list")
    assert not con.events("service", since=m2, label="echo")
    assert con.events("service", since=m2, label="kv")


def test_service_up_down_restart_refresh(live_os):
    con = live_os()
    con.run("service down echo")
    mark = con.mark()
    con.run("service up echo -period 10 -policy reset")
    res = con.events("init_result", since=mark, label="echo")
    assert res and res[0].int("result") == 0
    ep1 = res[0].get("ep")
    con.run("service restart echo")
    r = con.wait_event("init_result", since=mark + 1, label="echo", type="restart")
    assert r.get("ep") != ep1
    con.run("service refresh echo")
    con.wait_event("init_result", since=mark, label="echo", type="fresh", timeout=30)
    done, _ = _wl(con, "echo", 20)
    assert done.int("wrong") == 0
    con.run("service down echo")
    assert con.events("down", since=mark, label="echo", why="down")
    assert con.run("service restart echo", expect=None).int("result") != 0
    assert con.run("service bogus x", expect=None).int("result") != 0


def _wl(con, target, count, fault=""):
    mark = con.mark()
    con.run(f"run wl {target} {count} {fault}".strip())
    return con.wait_event("wl_done", timeout=60, since=mark), mark
