"""RS updates itself (`service update rs`, issue 19): the kernel replaces
RS's image in place (SYS_RENEW: same endpoint, its table kept); the new RS
takes up supervision without restarting anyone, and only then answers the
update OK. A new RS that dies in its init is rolled back: the kernel's
guardian starts RS from its boot module again, which answers the update
with the failure and goes on supervising."""

from faultinj import errnos

from tests.test_rs_self_recovery import still_supervises


def test_rs_updates_itself_and_the_new_rs_supervises(live_os):
    con = live_os()
    before = con.service_row("rs")
    m = con.mark()
    ev = con.run("service update rs", expect=None, timeout=60)
    assert ev.int("result") == 0
    renewed = con.events("rs_renewed", since=m)
    assert renewed and renewed[0].int("ep") == 0 and renewed[0].int("kept_pages") > 0
    rec = con.events("rs_recovered", since=m)
    assert rec and rec[0].int("gone") == 0
    done = con.events("update_done", since=m, label="rs")
    assert done, "no update_done for rs"
    # the update was answered after the new RS had taken over, and it was
    # no death: no rs_died, no restart counted, nobody restarted
    kinds = [e.kind for e in con.q.serial.events[m:]]
    assert kinds.index("rs_recovered") < kinds.index("update_done") < kinds.index("shell_done")
    assert not con.events("rs_died", since=m) and not con.events("restarted", since=m)
    assert con.service_row("rs").int("restarts") == before.int("restarts")
    # the new RS restarts a crashed kv
    still_supervises(con)


def test_a_new_rs_crashing_in_its_init_is_rolled_back(live_os):
    con = live_os()
    m = con.mark()
    ev = con.run("service update rs -initcrash", expect=None, timeout=60)
    assert ev.int("result") != 0                      # never answered OK
    assert con.events("rs_renewed", since=m) and con.events("rs_died", since=m)
    failed = con.wait_event("update_failed", since=m, label="rs", timeout=30)
    assert failed.get("why") == "crashed-in-init" and failed.get("rollback") == "1"
    assert not con.events("update_done", since=m, label="rs")
    assert con.wait_event("rs_recovered", since=m).int("gone") == 0
    still_supervises(con)


def test_rs_update_options_it_cannot_honour_are_refused(live_os):
    con = live_os()
    m = con.mark()
    for opts in ("-initfail", "-inittimeout"):
        assert con.run(f"service update rs {opts}", expect=None).int("result") == errnos.EINVAL
    assert not con.events("rs_renewed", since=m)
