"""PM: user processes are started, waited for and killed; the process tree
shows them. VM: answers a service whose VM call mask allows it."""


def test_user_process_lifecycle(live_os):
    con = live_os()
    mark = con.mark()
    con.run("run wl kv 900000")             # long: it will be killed
    spawn = con.wait_event("spawn", since=mark, name="wl")
    pid = spawn.get("pid")
    m2 = con.mark()
    con.run("ps")
    tree = {e.get("pid"): e for e in con.events("proc", since=m2)}
    assert tree[pid].get("kind") == "user" and tree[pid].get("name") == "wl"
    tty_pid = [p for p, e in tree.items() if e.get("name") == "tty"][0]
    assert tree[pid].get("ppid") == tty_pid
    con.run(f"kill {pid} 15")
    ex = con.wait_event("proc_exit", since=mark, pid=pid)
    assert ex.int("status") == 128 + 15
    m3 = con.mark()
    con.run("ps")
    assert not [e for e in con.events("proc", since=m3) if e.get("pid") == pid]
    assert con.run("kill 1", expect=None).int("result") == -1       # services are RS's: EPERM


def test_init_waits_for_its_children(live_os):
    from faultinj import bootimage
    con = live_os(bootimage.system(init="wl kv 20"))
    done = con.wait_event("wl_done")
    reaped = con.wait_event("init_reaped")
    spawn = con.events("spawn", name="wl")[0]
    assert reaped.get("pid") == spawn.get("pid") and reaped.int("status") == 0
    assert spawn.int("ppid") == 0 and done.int("wrong") == 0


def test_vm_info(live_os):
    con = live_os()
    mark = con.mark()
    con.run("free")
    info = con.events("vm_info", since=mark)[0]
    assert 0 < info.int("free") < info.int("total") <= 128 * 1024 * 1024


def test_pm_restart_keeps_the_process_tree(fi_os):
    from faultinj import bootimage
    s = fi_os(bootimage.system(init="wl kv 10"))
    con = s.console
    con.wait_event("wl_done")
    m0 = con.mark()
    con.run("ps")
    before = {(e.get("pid"), e.get("name"), e.get("ppid")) for e in con.events("proc", since=m0)}
    s.arm("pm.request", "crash", proc="pm")
    m1 = con.mark()
    con.run("ps", expect=None)                 # PM crashes on this request
    con.wait_event("init_result", since=m1, label="pm", type="restart")
    restored = con.wait_event("pm_restored", since=m1)
    assert restored.int("procs") == len(before)
    m2 = con.mark()
    con.run("ps")
    after = {(e.get("pid"), e.get("name"), e.get("ppid")) for e in con.events("proc", since=m2)}
    assert after == before
