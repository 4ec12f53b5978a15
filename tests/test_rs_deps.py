"""Dependencies: echo depends on kv (RS's sys table, or `service up -deps`).
When kv comes back from a restart with a new endpoint, echo's policy
decides: one_for_one, it is only told (DS tells its subscribers the new
endpoint); rest_for_one, RS restarts it too. A restart that keeps the
endpoint changes nothing for dependents. Every decision is an event."""


def crash(con, target):
    m = con.mark()
    con.run(f"run wl {target} 60 crash@20")
    done = con.wait_event("wl_done", timeout=60, since=m)
    assert done.int("wrong") == 0 and done.int("lost") == 0, done.raw
    return m


def test_one_for_one_dependent_is_only_told(live_os):
    con = live_os()
    echo_ep = con.service_row("echo").get("ep")
    m = crash(con, "kv")
    kv = con.wait_event("init_result", since=m, label="kv", type="restart")
    new_ep = kv.get("ep")
    dep = con.wait_event("dep_restart", since=m, label="echo", because="kv")
    assert (dep.get("policy"), dep.get("action"), dep.get("dep_ep")) == \
        ("one_for_one", "notice", new_ep), dep.raw
    # the notice itself: DS told echo, its subscriber, of kv's new endpoint
    con.wait_event("echo_saw_change", since=m, label="kv", ep=new_ep)
    assert not con.events("restarted", since=m, label="echo")
    echo = con.service_row("echo")
    assert echo.get("ep") == echo_ep and echo.int("restarts") == 0


def test_rest_for_one_dependent_is_restarted_after_its_dependency(live_os):
    con = live_os()
    con.run("service down echo")
    con.run("service up echo -deps kv -deppolicy rest_for_one")
    echo = con.service_row("echo")
    assert (echo.get("deps"), echo.get("dep_policy")) == ("kv", "rest_for_one"), echo.raw
    m = crash(con, "kv")
    kv_back = con.wait_event("init_result", since=m, label="kv", type="restart")
    dep = con.wait_event("dep_restart", since=m, label="echo", because="kv")
    assert (dep.get("policy"), dep.get("action"), dep.get("dep_ep")) == \
        ("rest_for_one", "restart", kv_back.get("ep")), dep.raw
    r = con.wait_event("restarted", since=m, label="echo")
    back = con.wait_event("init_result", since=m, label="echo", type="restart")
    ev = con.q.serial.events
    # in that order: kv back, the decision, echo restarted and back
    assert ev.index(kv_back) < ev.index(dep) < ev.index(r) < ev.index(back)
    assert back.int("result") == 0
    # echo's restart was not its failure: no strike against its intensity
    echo = con.service_row("echo")
    assert echo.int("strikes") == 0 and echo.int("restarts") == 1, echo.raw
    # it serves, and finds the new kv by itself (its subscription, made anew)
    m2 = con.mark()
    con.run("run wl echo 20")
    done = con.wait_event("wl_done", timeout=60, since=m2)
    assert done.int("answered") == 20 and done.int("wrong") == 0


def test_a_restart_that_keeps_the_endpoint_needs_no_decision(live_os):
    con = live_os()
    con.run("service down kv")
    con.run("service up kv -deps echo -deppolicy rest_for_one")
    m = crash(con, "echo")
    r = con.wait_event("init_result", since=m, label="echo", type="restart")
    assert con.events("restarted", since=m, label="echo")[0].get("policy") == "restart"
    # echo (restart policy) kept its endpoint: kv is neither told nor restarted
    m2 = con.mark()
    con.run("service list")                      # a request RS answers after the init above
    assert con.q.serial.events.index(r) < m2
    assert not con.events("dep_restart", since=m)
    assert not con.events("restarted", since=m, label="kv")
