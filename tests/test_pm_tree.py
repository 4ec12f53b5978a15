"""PM's process tree stays true through every way RS ends a service
instance: after a restart, a refresh and a crash (workload-requested), `ps`
lists exactly one entry per service, the live instance (the endpoint RS's
`service list` shows), and no dead one; the same after a hang kill, an
update rolled back, down and up, and after RS gives up on a service. kv has the reset policy (each new
instance has a new endpoint), echo the restart policy (same endpoint)."""

import pytest


def service_ep(con, label):
    m = con.mark()
    con.run("service list")
    return con.events("service", since=m, label=label)[0].get("ep")


def ps_entries(con, name):
    m = con.mark()
    con.run("ps")
    return con.events("proc", since=m, name=name)


def assert_tree_true(con, label):
    live = service_ep(con, label)
    procs = ps_entries(con, label)
    assert [(p.get("ep"), p.get("kind")) for p in procs] == [(live, "service")], \
        [p.raw for p in procs]
    return live


@pytest.mark.parametrize("label,policy", [("kv", "reset"), ("echo", "restart")])
def test_ps_shows_only_the_live_instance(live_os, label, policy):
    con = live_os()
    first = assert_tree_true(con, label)
    eps = [first]
    for cmd in ("restart", "refresh"):
        m = con.mark()
        con.run(f"service {cmd} {label}", timeout=60)
        con.wait_event("init_result", since=m, label=label, timeout=60)
        eps.append(assert_tree_true(con, label))
    for fault, how in (("crash", "died"), ("hang", "killed")):
        m = con.mark()
        con.run(f"run wl {label} 30 {fault}@10", timeout=60)
        done = con.wait_event("wl_done", since=m, timeout=60)
        assert done.int("answered") == 30 and done.int("wrong") == 0, done.raw
        assert con.events(how, since=m, label=label)
        con.wait_event("restarted", since=m, label=label)
        eps.append(assert_tree_true(con, label))
    # a live update whose new version fails its init: the old version,
    # suspended meanwhile, goes on (the same instance under either policy),
    # and the new version's process is not in the tree
    m = con.mark()
    con.run(f"service update {label} -state 1 -maxtime 100 -initfail", expect=None, timeout=60)
    assert con.events("update_failed", since=m, label=label, rollback=1)
    con.wait_event("update_rolled_back", since=m, label=label, timeout=60)
    assert assert_tree_true(con, label) == eps[-1]
    if policy == "reset":
        assert len(set(eps)) == len(eps), eps           # a new endpoint each restart
    else:
        assert set(eps) == {first}, eps                 # always the same one
    # down takes it out of the tree; a new instance is listed alone
    con.run(f"service down {label}")
    assert not ps_entries(con, label)
    con.run(f"service up {label}", timeout=60)
    assert assert_tree_true(con, label) not in eps
    # every other service is listed once, too
    m = con.mark()
    con.run("ps")
    names = [e.get("name") for e in con.events("proc", since=m) if e.get("kind") == "service"]
    assert len(names) == len(set(names)), names


def test_a_service_given_up_on_leaves_the_tree(live_os):
    con = live_os()
    m = con.mark()
    con.run("service down kv")
    con.run("service up kv -args crashloop", expect=None)
    con.wait_event("given_up", timeout=120, since=m, label="kv")
    assert not ps_entries(con, "kv")
    assert [e.get("name") for e in ps_entries(con, "echo")] == ["echo"]
