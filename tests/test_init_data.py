"""Init data: RS hands every starting service its public table (label,
endpoint, flags, pid, VM call mask of each service). The pids in it are
PM's, also after a restart gives a service a new process; VM takes every
service's call mask from it at each init, so a VM restart, even after DS
lost what it held, leaves no service without its mask."""

import pytest


def _services(con):
    mark = con.mark()
    con.run("service list")
    return {e.get("label"): e for e in con.events("service", since=mark)}


def _procs(con):
    mark = con.mark()
    con.run("ps")
    return {e.get("ep"): e for e in con.events("proc", since=mark)}


def _by_name(procs, name):
    found = [p for p in procs.values() if p.get("name") == name]
    assert len(found) == 1, (name, found)
    return found[0]


def test_init_callback_sees_the_public_table(live_os):
    con = live_os()
    seen = con.events("init_pub", label="echo")[0]    # echo's boot init
    services = _services(con)
    procs = _procs(con)
    assert seen.int("entries") == len(services)
    for label in ("ds", "rs"):
        assert seen.get(f"{label}_ep") == services[label].get("ep"), label
        assert seen.get(f"{label}_pid") == services[label].get("pid"), label
        assert seen.get(f"{label}_pid") == _by_name(procs, label).get("pid"), label
    assert seen.int("rs_pid") == 1                    # INIT is 0, RS 1
    # at boot RS learns each service's pid before it runs: its own too
    assert seen.get("self_pid") == _by_name(procs, "echo").get("pid")


def _assert_pids_match_pm(con):
    services, procs = _services(con), _procs(con)
    for label, s in services.items():
        p = procs.get(s.get("ep"))
        assert p is not None, (label, s.raw)
        assert p.get("name") == label and s.get("pid") == p.get("pid"), (s.raw, p.raw)
        assert s.int("pid") >= 0
    # PM holds no service RS does not (a replaced process is forgotten)
    svc_eps = {s.get("ep") for s in services.values()}
    assert {ep for ep, p in procs.items() if p.get("kind") != "user"} == svc_eps
    return services


def test_public_pids_are_pm_pids_across_a_restart(live_os):
    con = live_os()
    before = _assert_pids_match_pm(con)
    mark = con.mark()
    con.run("service restart kv")                     # reset policy: a new process
    res = con.wait_event("init_result", since=mark, label="kv", type="restart")
    assert res.get("ep") != before["kv"].get("ep")
    con.wait_event("service_pid", since=mark, label="kv", ep=res.get("ep"))
    after = _assert_pids_match_pm(con)
    assert after["kv"].int("pid") != before["kv"].int("pid")
    assert after["ds"].get("pid") == before["ds"].get("pid")
    # the restarted instance's init saw its own new endpoint
    assert con.events("init_pub", since=mark, label="kv", self_ep=res.get("ep"))


@pytest.mark.parametrize("restarts", [["vm"], ["ds", "vm"]], ids=["vm", "ds-then-vm"])
def test_vm_has_every_mask_after_restart(live_os, restarts):
    con = live_os()
    for label in restarts:
        mark = con.mark()
        con.run(f"service restart {label}")
        con.wait_event("init_result", since=mark, label=label, type="restart", timeout=60)
    masks = con.events("vm_masks", since=mark)
    assert masks and masks[0].get("type") == "restart"
    services = _services(con)
    assert masks[0].int("masks") == len(services)
    con.run("free")                                   # TTY's mask is there
    for label, s in services.items():
        if label == "init":
            continue                                  # INIT is not in DS, and has no VM calls
        m = con.mark()
        con.run(f"vmmask {label}")
        got = con.events("vm_mask", since=m, label=label)[0]
        assert got.get("ep") == s.get("ep") and got.int("mask") == s.int("vm"), (got.raw, s.raw)
        assert got.int("mask") != 0, got.raw
    # a dynamic service started now gets its mask from RS's set-privilege step
    con.run("service down echo")
    mark = con.mark()
    con.run("service up echo")
    ep = con.events("init_result", since=mark, label="echo")[0].get("ep")
    assert con.events("vm_mask_set", since=mark, ep=ep)
    con.run("vmmask echo")
    got = con.events("vm_mask", since=mark, label="echo")[-1]
    assert got.get("ep") == ep and got.int("mask") == services["echo"].int("vm") != 0



@pytest.mark.parametrize("steps", [["refresh pm"], ["restart ds", "restart pm"]],
                         ids=["pm-refreshed", "ds-then-pm"])
def test_pm_keeps_the_service_pids(live_os, steps):
    """A PM without its saved table (refreshed: a clean start; or restarted
    after DS, which kept the table, restarted) takes its services from the
    init data, with the pids RS shows."""
    con = live_os()
    before = _assert_pids_match_pm(con)
    for step in steps:
        mark = con.mark()
        con.run(f"service {step}")
        label = step.split()[1]
        con.wait_event("init_result", since=mark, label=label, timeout=60)
    assert con.events("pm_services", since=mark, **{"from": "init"})
    after = _assert_pids_match_pm(con)
    assert {k: s.get("pid") for k, s in after.items()} == {k: s.get("pid") for k, s in before.items()}
    # a new process gets a pid no service has
    mark = con.mark()
    con.run("run wl kv 5")
    spawn = con.wait_event("spawn", since=mark, name="wl")
    assert spawn.int("pid") > max(s.int("pid") for s in after.values())
