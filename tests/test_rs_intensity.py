"""Restart intensity and escalation: a service RS restarts more than R
times within W seconds moves to the next stage of its chain (restart ->
pristine reset -> dependents too -> give up), each decision an event; a
quiet window brings it back to the first stage; a core service beyond its
chain halts the system. Settings come from RS's sys table or `service up`
(-intensity R/W, -escalate ...) and show in `service list`."""

from faultinj import errnos


def index_of(con, ev):
    return con.q.serial.events.index(ev)


def test_escalation_follows_the_chain_in_order(live_os):
    con = live_os()
    mark = con.mark()
    con.run("service down kv")
    con.run("service up kv -args crashloop -intensity 2/10"
            " -escalate restart,reset,dependents,giveup", expect=None)
    given = con.wait_event("given_up", timeout=120, since=mark, label="kv")
    esc = con.events("escalate", since=mark, label="kv")
    assert [(e.get("from"), e.get("to")) for e in esc] == [
        ("restart", "reset"), ("reset", "dependents"), ("dependents", "giveup")], \
        [e.raw for e in esc]
    assert all(e.int("restarts_in_window") == 2 and e.int("window") == 10 for e in esc)
    assert index_of(con, esc[-1]) < index_of(con, given)

    # two restarts per stage, between its escalations, and how each is done
    restarts = con.events("restarted", since=mark, label="kv")
    bounds = [index_of(con, e) for e in esc]
    stage = lambda a, b: [r for r in restarts if a < index_of(con, r) < b]
    first, reset, deps = stage(0, bounds[0]), stage(bounds[0], bounds[1]), stage(bounds[1], bounds[2])
    assert len(first) == len(reset) == len(deps) == 2, [r.raw for r in restarts]
    assert len(restarts) == 6 and given.int("restarts") == 6
    # restart: kv's reset policy, its state handed back (restart init)
    assert all(r.get("init") == "restart" and r.get("policy") == "reset" for r in first)
    # reset and beyond: pristine, a new endpoint each time and a fresh init
    for r in reset + deps:
        assert r.get("init") == "fresh" and r.get("ep") != r.get("old_ep"), r.raw
    fresh = con.events("sef_init", since=bounds[0], label="kv")
    assert fresh and all(e.get("type") == "fresh" for e in fresh)
    # the backoff starts over in each stage
    sched = con.events("restart_scheduled", since=mark, label="kv")
    assert [e.int("delay") for e in sched] == [0, 10] * 3, [e.raw for e in sched]
    assert [e.get("stage") for e in sched] == ["restart"] * 2 + ["reset"] * 2 + ["dependents"] * 2

    # dependents: echo (it depends on kv) restarted each time kv is back,
    # whatever its own one_for_one policy; before, it was only told
    dep = con.events("dep_restart", since=mark, label="echo", because="kv")
    assert [e.get("policy") for e in dep] == ["one_for_one"] * 4 + ["escalate"] * 2, \
        [e.raw for e in dep]
    assert all(e.get("action") == "notice" for e in dep[:4])
    assert all(e.get("action") == "restart" for e in dep[4:])
    echo_restarts = con.events("restarted", since=mark, label="echo")
    assert len(echo_restarts) == 2
    for d, r in zip(dep[4:], echo_restarts):
        assert index_of(con, d) < index_of(con, r) < index_of(con, given)

    # given up: kv stays down, listed at its last stage; the rest serves
    kv = con.service_row("kv")
    assert kv.get("stage") == "giveup" and kv.int("flags") & 0x8, kv.raw
    echo = con.service_row("echo")
    assert echo.int("strikes") == 0 and echo.get("stage") == "restart", echo.raw
    m = con.mark()
    con.run("run wl echo 20")
    done = con.wait_event("wl_done", timeout=60, since=m)
    assert done.int("wrong") == 0 and done.int("lost") == 0 and done.int("answered") == 20


def test_a_quiet_window_ends_the_escalation(live_os):
    con = live_os()
    con.run("service down kv")
    con.run("service up kv -intensity 1/1")
    # two crashes within a second of virtual time, whatever the host's pace
    # between shell commands: the first two PUTs kv takes crash it
    con.run("service fi kv kv.put crash times=2")
    mark = con.mark()
    con.run("run wl kv 30")
    con.wait_event("wl_done", timeout=60, since=mark)
    # the second crash within a second went beyond the intensity
    esc = con.wait_event("escalate", since=mark, label="kv")
    assert (esc.get("from"), esc.get("to"), esc.int("restarts_in_window")) == ("restart", "reset", 1)
    assert con.events("restarted", since=mark, label="kv")[-1].get("init") == "fresh"
    assert con.service_row("kv").get("stage") == "reset"
    # a whole window without a failure: back to the first stage
    calm = con.wait_event("deescalate", timeout=60, since=mark, label="kv")
    assert (calm.get("from"), calm.get("to"), calm.int("quiet")) == ("reset", "restart", 100)
    assert calm.t - esc.t >= 1_000_000
    kv = con.service_row("kv")
    assert (kv.get("stage"), kv.int("strikes")) == ("restart", 0), kv.raw
    # and the next crash is an ordinary restart again, state handed back
    m = con.mark()
    con.run("run wl kv 30 crash@10")
    con.wait_event("wl_done", timeout=60, since=m)
    r = con.wait_event("restarted", since=m, label="kv")
    assert r.get("init") == "restart"
    assert not con.events("escalate", since=m, label="kv")


def test_supervision_settings_show_in_service_list(live_os):
    con = live_os()
    kv, echo, ds = con.service_row("kv"), con.service_row("echo"), con.service_row("ds")
    # the sys table's defaults
    assert (kv.get("intensity"), kv.get("chain"), kv.get("stage"), kv.int("strikes")) == \
        ("6/10", "restart,reset,giveup", "restart", 0), kv.raw
    assert (echo.get("deps"), echo.get("dep_policy")) == ("kv", "one_for_one"), echo.raw
    assert ds.get("chain") == "restart,giveup", ds.raw            # core: no pristine reset
    assert (kv.int("late_after"), kv.int("hang_after")) == (20, 40), kv.raw
    # service up overrides them
    con.run("service down kv")
    con.run("service up kv -intensity 3/5 -escalate reset,giveup -ping 2/5 -period 10")
    kv = con.service_row("kv")
    assert (kv.get("intensity"), kv.get("chain"), kv.int("late_after"), kv.int("hang_after")) == \
        ("3/5", "reset,giveup", 20, 50), kv.raw


def test_bad_supervision_options_are_refused(live_os):
    con = live_os()
    con.run("service down kv")
    bad = ["-intensity 99/10",                  # more than RS can count
           "-escalate restart,bogus",           # no such stage
           "-escalate giveup,restart",          # nothing after giving up
           "-deps kv",                          # itself
           "-deps nosuch",                      # no such service
           "-ping 3/2"]                         # the hang must come after the warning
    for opt in bad:
        m = con.mark()
        ev = con.run(f"service up kv {opt}", expect=None)
        assert errnos.name(ev.int("result")) == "EINVAL", (opt, ev.raw)
        assert con.events("up_refused", since=m, label="kv")
        assert not con.events("start", since=m, label="kv")
    con.run("service up kv")          # and a plain one still starts


def test_core_service_beyond_its_chain_halts_the_system(fi_os):
    """mem crashes at every heartbeat; its chain (restart, giveup) ends in
    giving up, and a core service given up on panics the system."""
    from faultinj.exitcodes import HOST_PANIC
    s = fi_os(arm_at_boot=[dict(site="sef.ping", fault="crash", proc="mem", trigger="times",
                                k=1000)], wait_ready=False)
    r = s.q.wait(120)
    assert r.exit_status == HOST_PANIC, (r.outcome, r.serial[-2000:])
    ev = r.events
    esc = [i for i, e in enumerate(ev) if e.kind == "escalate" and e.get("label") == "mem"]
    given = [i for i, e in enumerate(ev) if e.kind == "given_up" and e.get("label") == "mem"]
    panic = [i for i, e in enumerate(ev) if e.kind == "panic" and e.get("who") == "rs"]
    assert len(esc) == 1 and given and panic
    e = ev[esc[0]]
    assert (e.get("from"), e.get("to"), e.int("restarts_in_window")) == ("restart", "giveup", 6)
    assert esc[0] < given[0] < panic[0]
    assert ev[panic[0]].get("proc") == "mem"
    restarts = [x for x in ev[:esc[0]] if x.kind == "restarted" and x.get("label") == "mem"]
    assert len(restarts) == 6
