"""DS's own failure loses nothing: its labels, the state every service
saved in it and the subscriptions are kept across its restart (in memory
the kernel carries over, os/servers/ds/keep.c), so the services that keep
their state in DS come back with it even when they fail after DS did."""


def _wl(con, n, extra=""):
    m = con.mark()
    con.run(f"run wl kv {n} {extra}".strip(), timeout=60)
    return con.wait_event("wl_done", since=m, timeout=60)


def _crash(con, svc, trigger_cmd):
    """Arm a crash on svc's next request, make one, wait for it to be back."""
    m = con.mark()
    con.run(f"service fi {svc} {svc}.request crash nth=1")
    con.run(trigger_cmd, expect=None, timeout=60)
    con.wait_event("fi_fired", since=m, site=f"{svc}.request", timeout=60)
    con.wait_event("init_result", since=m, label=svc, result=0, timeout=60)
    return m


def test_ds_crash_then_kv_vm_pm_crash_keep_their_state(live_os):
    con = live_os()
    assert _wl(con, 40).int("answered") == 40          # 40 keys kv saved in DS
    m = con.mark()
    con.run("ps")
    procs_before = len(con.events("proc", since=m))

    m = _crash(con, "ds", "run wl kv 5")       # wl looks kv up in DS
    con.wait_event("wl_done", since=m, timeout=60)   # that client is done too
    reb = con.wait_event("ds_rebuilt", since=m)
    assert reb.int("dropped") == 0 and reb.int("blobs") >= 3, reb.raw   # kv, vm, pm at least
    assert reb.int("subs") >= 1, reb.raw                                 # echo on kv
    assert con.events("exec_keep", since=m, proc="ds")

    # kv, crashed after DS came back, takes its 40 keys back; echo, which
    # subscribed to kv's label before DS failed, still hears of the move
    m = con.mark()
    done = _wl(con, 30, "crash@10")
    assert done.int("wrong") == 0 and done.int("lost") == 0
    back = [e for e in con.events("kv_restored", since=m) if e.int("type") == 2]
    assert back and back[0].int("keys") >= 40, [e.raw for e in con.events("kv_restored", since=m)]
    new_kv = con.wait_event("init_result", since=m, label="kv", type="restart").get("ep")
    con.wait_event("echo_saw_change", since=m, label="kv", ep=new_kv, timeout=30)

    m = _crash(con, "vm", "free")
    vm = con.wait_event("vm_masks", since=m)
    assert vm.int("masks") > 0, vm.raw
    assert con.run("free").int("result") == 0

    m = _crash(con, "pm", "ps")
    pm = con.wait_event("pm_restored", since=m)
    assert pm.int("procs") >= procs_before - 1, pm.raw
    m = con.mark()
    con.run("ps")
    assert len(con.events("proc", since=m)) >= procs_before - 1

    # and a workload afterwards: every answer right, nothing lost
    after = _wl(con, 40)
    assert after.int("answered") == 40 and after.int("wrong") == 0 and after.int("lost") == 0


def test_ds_refresh_keeps_labels_but_no_state(live_os):
    """A refresh is a clean start: DS keeps no saved state, but still
    names every running service (from RS's table), so clients go on."""
    con = live_os()
    _wl(con, 20)
    m = con.mark()
    con.run("service refresh ds", timeout=60)
    con.wait_event("init_result", since=m, label="ds", type="fresh", result=0, timeout=60)
    reb = con.wait_event("ds_rebuilt", since=m)
    assert reb.int("blobs") == 0 and reb.int("kept") == 0 and reb.int("labels") >= 7, reb.raw
    m = con.mark()
    done = _wl(con, 30, "crash@10")
    back = [e for e in con.events("kv_restored", since=m) if e.int("type") == 2]
    # kv saves its whole table with every PUT, so what DS forgot is saved
    # again by the first PUT after the refresh: nothing the client sees
    assert back and done.int("wrong") == 0 and done.int("lost") == 0
