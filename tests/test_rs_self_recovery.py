"""RS survives its own crash: the kernel's guardian restarts it in place
from its boot module (same endpoint, its table kept: os/kernel/guardian.c,
os/servers/rs/recover.c); it re-adopts every service without restarting
any, and goes on supervising them. RS dying again and again is a system
failure: the kernel panics."""

from faultinj.exitcodes import HOST_PANIC


def _crash_rs(con, arm="nth=1"):
    m = con.mark()
    con.run(f"service fi rs rs.request crash {arm}")
    con.run("service list", expect=None, timeout=30)      # the request RS dies on
    con.wait_event("rs_recovered", since=m, timeout=30)
    return m



def still_supervises(con):
    """RS, recovered, still supervises: a kv crash is restarted, and the
    workload sees no wrong or lost answer."""
    m = con.mark()
    con.run("run wl kv 30 crash@10", timeout=60)
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("wrong") == 0 and done.int("lost") == 0
    assert con.events("restarted", since=m, label="kv")

def test_rs_crash_is_recovered_and_services_stay_supervised(live_os):
    con = live_os()
    m = _crash_rs(con)
    died = con.events("rs_died", since=m)
    back = con.wait_event("rs_restarted", since=m)
    rec = con.wait_event("rs_recovered", since=m)
    assert died and back.int("ep") == 0 and back.int("kept_pages") > 0
    assert rec.int("services") == 8 and rec.int("gone") == 0
    # nobody was restarted for it, and no kernel panic
    assert not con.events("restarted", since=m) and not con.events("panic", since=m)
    # RS answers again, with its whole table
    m2 = con.mark()
    con.run("service list")
    assert {e.get("label") for e in con.events("service", since=m2)} >= {
        "rs", "ds", "vm", "pm", "mem", "tty", "kv", "echo"}
    # and still supervises: a kv crash afterwards is restarted, the
    # workload sees no wrong or lost answer
    still_supervises(con)


def test_rs_crashed_twice_in_a_row(live_os):
    con = live_os()
    first = con.wait_event("rs_died", since=_crash_rs(con))
    m = _crash_rs(con)
    second = con.wait_event("rs_died", since=m)
    # the guardian counts recoveries within its window (10 s of virtual
    # time); how much virtual time passes between two shell commands is the
    # host's pace (an idle guest's clock runs ahead), so the count is
    # checked against the two deaths' own times
    within = second.t - first.t <= 10 * 1_000_000
    assert con.wait_event("rs_restarted", since=m).int("recoveries") == (2 if within else 1)
    m2 = con.mark()
    con.run("run wl echo 20", timeout=60)
    assert con.wait_event("wl_done", since=m2, timeout=60).int("answered") == 20


def test_rs_dying_again_and_again_panics_the_system(live_os):
    con = live_os()
    con.run("service fi rs rs.request crash times=1000")
    for _ in range(4):
        con.q.write("service list\r")
    r = con.q.wait(60)
    assert r.exit_status == HOST_PANIC, (r.outcome, r.serial[-1500:])
    assert "keeps dying" in r.serial
    # three recoveries are allowed within the window; the fourth death is the end
    assert len([e for e in r.events if e.kind == "rs_died"]) == 3


def test_rs_hang_is_recovered_too(live_os):
    """RS spinning (runnable a whole second without blocking once) is hung:
    the kernel restarts it the same way, and it goes on supervising."""
    con = live_os()
    m = con.mark()
    con.run("service fi rs rs.request hang nth=1")
    con.q.write("service list\r")                    # the request RS hangs on
    died = con.wait_event("rs_died", since=m, timeout=60)
    assert died.get("why") == "hang"
    rec = con.wait_event("rs_recovered", since=m, timeout=30)
    assert rec.int("gone") == 0
    still_supervises(con)


def test_rs_whose_supervision_goes_stale_is_recovered(live_os):
    """RS still answering requests but no longer running its heartbeat
    rounds (rs.period skipped, no alarm asked for): the kernel sees RS's
    pulse stop and restarts it; supervision resumes."""
    con = live_os()
    m = con.mark()
    con.run("service fi rs rs.period error nth=1")
    died = con.wait_event("rs_died", since=m, timeout=60)
    assert died.get("why") == "stale"
    assert con.wait_event("rs_recovered", since=m, timeout=30).int("gone") == 0
    still_supervises(con)


def test_a_period_set_at_run_time_outlives_an_rs_crash(live_os):
    """`service sysctl period 5` is kept across RS's own restart (period.c,
    in RS's keep region): the services keep it, and one started after the
    new RS took over gets it too, not the boot's default."""
    con = live_os()
    ev = con.run("service sysctl period 5", expect=None)
    assert ev.int("result") == 0, ev.raw
    _crash_rs(con)
    assert con.service_row("kv").int("period") == 5
    con.run("service down echo")
    con.run("service up echo")
    assert con.service_row("echo").int("period") == 5
