"""Two heartbeat thresholds: a ping answered after the first (late_after,
one period by default) is a warning event and nothing more; only one still
unanswered at the second (hang_after, two periods) is a hang, and the
service is restarted. Both are per service (`service up -ping L/H`, in
periods). The late answers are made with a `delay` fault at the ping
(os/lib/fi/fi.c: busy for arg x 6 us, 6,000 instructions each)."""

# about 300 ms: past one period (200 ms), within two
LATE = 50000
# about 600 ms: past two periods, within four
LONG = 100000


def serves(con, target):
    m = con.mark()
    con.run(f"run wl {target} 20")
    done = con.wait_event("wl_done", timeout=60, since=m)
    assert done.int("answered") == 20 and done.int("wrong") == 0 and done.int("lost") == 0


def test_a_late_answer_is_a_warning_not_a_restart(live_os):
    con = live_os()
    ep = con.service_row("kv").get("ep")
    m = con.mark()
    con.run(f"service fi kv sef.ping delay nth=1 arg={LATE}")
    late = con.wait_event("ping_late", timeout=60, since=m, label="kv")
    assert 20 < late.int("since") < 40, late.raw
    assert late.int("late_by") == late.int("since") - 20 and late.int("hang_after") == 40
    # RS would have declared the hang before the answer came: it did not
    for kind in ("ping_missed", "killed", "restarted", "died"):
        assert not con.events(kind, since=m, label="kv"), kind
    kv = con.service_row("kv")
    assert kv.get("ep") == ep and kv.int("restarts") == 0
    serves(con, "kv")


def test_a_missed_deadline_is_still_a_hang(live_os):
    con = live_os()
    m = con.mark()
    con.run(f"service fi kv sef.ping delay nth=1 arg={LONG}")
    missed = con.wait_event("ping_missed", timeout=60, since=m, label="kv")
    # not before the second threshold: two periods
    assert missed.int("since") >= 40, missed.raw
    con.wait_event("killed", since=m, label="kv")
    con.wait_event("restarted", since=m, label="kv")
    assert not con.events("ping_late", since=m, label="kv")
    serves(con, "kv")


def test_thresholds_are_per_service(live_os):
    con = live_os()
    con.run("service down kv")
    con.run("service up kv -ping 1/4")
    kv = con.service_row("kv")
    assert (kv.int("late_after"), kv.int("hang_after")) == (20, 80), kv.raw
    m = con.mark()
    # the answer that was a hang under the default thresholds is late here
    con.run(f"service fi kv sef.ping delay nth=1 arg={LONG}")
    late = con.wait_event("ping_late", timeout=60, since=m, label="kv")
    assert 40 < late.int("since") < 80 and late.int("hang_after") == 80, late.raw
    for kind in ("ping_missed", "killed", "restarted"):
        assert not con.events(kind, since=m, label="kv"), kind
    serves(con, "kv")


def test_the_default_period_is_set_at_run_time(live_os):
    """`service sysctl period N` (a campaign's period:N step at the plan
    point): every service on the default period is pinged every N ticks
    from then on, so its thresholds are N and 2N; a service up later takes
    it too, one started with its own -period keeps that. Out of range is
    refused and changes nothing."""
    con = live_os()
    con.run("service down echo")
    con.run("service up echo -period 30")
    m = con.mark()
    for bad in ("0", "1001"):
        ev = con.run(f"service sysctl period {bad}", expect=None)
        assert ev.int("result") != 0, ev.raw
    assert not con.events("rs_period", since=m)
    ev = con.run("service sysctl period 5", expect=None)
    assert ev.int("result") == 0, ev.raw
    set_ = con.wait_event("rs_period", since=m)
    assert set_.int("period") == 5 and set_.int("services") >= 6, set_.raw
    assert con.service_row("kv").int("period") == 5
    assert con.service_row("echo").int("period") == 30
    con.run("service down kv")
    con.run("service up kv")
    assert con.service_row("kv").int("period") == 5
    # the delay that was a warning under 20 ticks is a hang under 5
    m = con.mark()
    con.run(f"service fi kv sef.ping delay nth=1 arg={LATE}")
    missed = con.wait_event("ping_missed", timeout=60, since=m, label="kv")
    assert 10 <= missed.int("since") < 20, missed.raw
    con.wait_event("restarted", since=m, label="kv")
    serves(con, "kv")
