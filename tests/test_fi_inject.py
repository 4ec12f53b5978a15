"""Every fault type, armed through QEMU's GDB stub on one site, fires with
an event line, and RS reacts as the protocol says. Arming from the shell
with `service fi` has the same effect; the same experiment twice gives the
same event trace at the same virtual times."""

import pytest

from faultinj import bootimage

WL = "wl kv 120"


def image(workload=WL):
    return bootimage.system(init=workload)


def wait(s, kind, timeout=60, **fields):
    return s.console.wait_event(kind, timeout=timeout, **fields)


def fired(s, fault, site):
    ev = wait(s, "fi_fired", type=fault, site=site)
    assert ev.get("who") == "kernel"
    return ev


def clean_workload(s):
    done = wait(s, "wl_done", timeout=90)
    assert done.int("wrong") == 0 and done.int("lost") == 0, done.raw
    return done


@pytest.mark.parametrize("fault,sig", [("crash", 11), ("panic", 31)])   # 31: SIGEXIT
def test_crash_and_panic_restart_the_service(fi_os, fault, sig):
    s = fi_os(image(), arm_at_boot=[dict(site="kv.put", fault=fault, proc="kv", n=20)])
    fired(s, fault, "kv.put")
    died = wait(s, "died", label="kv")
    assert died.int("sigmap") == 1 << sig
    wait(s, "restarted", label="kv")
    wait(s, "init_result", label="kv", type="restart")
    clean_workload(s)


def test_hang_is_caught_by_the_heartbeat(fi_os):
    s = fi_os(image(), arm_at_boot=[dict(site="kv.get", fault="hang", proc="kv", n=10)])
    fired(s, "hang", "kv.get")
    wait(s, "ping_missed", label="kv")
    wait(s, "killed", label="kv")
    wait(s, "restarted", label="kv")
    clean_workload(s)


def test_stale_ping_is_caught_by_the_heartbeat(fi_os):
    s = fi_os(image("wl echo 50"), arm_at_boot=[dict(site="sef.ping", fault="stale_ping", proc="echo", n=3)])
    fired(s, "stale_ping", "sef.ping")
    missed = wait(s, "ping_missed", label="echo")
    r = wait(s, "restarted", label="echo")
    assert r.get("policy") == "restart" and r.get("ep") == missed.get("ep")


def test_dropped_pong_looks_like_a_hang(fi_os):
    s = fi_os(image(), arm_at_boot=[dict(site="sef.pong", fault="drop", proc="kv", n=2)])
    fired(s, "drop", "sef.pong")
    wait(s, "ping_missed", label="kv")
    wait(s, "restarted", label="kv")
    clean_workload(s)


def test_init_failure_of_a_dynamic_service_tears_it_down(fi_os):
    s = fi_os(image("wl echo 5"))
    s.console.run("service down echo")
    mark = s.console.mark()
    s.arm("sef.init", "init_fail", proc="echo")
    ev = s.console.run("service up echo", expect=None)
    assert ev.int("result") != 0
    fired(s, "init_fail", "sef.init")
    down = s.console.wait_event("down", since=mark, label="echo")
    assert down.get("why") == "init-failed"
    assert not s.console.events("restarted", label="echo")


def test_prepare_timeout_aborts_the_update(fi_os):
    s = fi_os(image("wl kv 5"))
    s.arm("sef.lu.prepare", "lu_timeout", proc="kv", trigger="times", k=1000)
    ev = s.console.run("service update kv -state 1 -maxtime 30", expect=None)
    assert ev.int("result") == -60
    fired(s, "lu_timeout", "sef.lu.prepare")
    assert wait(s, "update_aborted", label="kv").get("why") == "prepare-timeout"
    mark = s.console.mark()
    s.console.run("run wl kv 30")
    done = s.console.wait_event("wl_done", since=mark, timeout=60)
    assert done.int("wrong") == 0 and done.int("answered") == 30


def test_error_return_takes_the_error_path(fi_os):
    s = fi_os(image(), arm_at_boot=[dict(site="kv.put.err", fault="error", proc="kv",
                                         trigger="times", k=3)])
    done = clean_workload(s)
    assert len([e for e in s.events if e.kind == "fi_fired" and e.get("site") == "kv.put.err"]) == 3
    assert done.int("retried") >= 3
    assert not s.console.events("restarted", label="kv")      # the service stayed up


def test_delay_slows_but_does_not_kill(fi_os):
    s = fi_os(image(), arm_at_boot=[dict(site="kv.get", fault="delay", proc="kv", n=5, arg=300)])
    fired(s, "delay", "kv.get")
    clean_workload(s)
    assert not s.console.events("died", label="kv")


def test_kernel_site_fails_ipc(fi_os):
    s = fi_os(image(), arm_at_boot=[dict(site="kernel.ipc.send", fault="error", proc="wl",
                                         trigger="times", k=2)])
    done = clean_workload(s)
    ev = [e for e in s.events if e.kind == "fi_fired" and e.get("site") == "kernel.ipc.send"]
    assert len(ev) == 2 and all(e.get("proc") == "wl" for e in ev)
    assert done.int("answered") == 120


def test_bitflip_fires_and_system_survives(fi_os):
    s = fi_os(image(), arm_at_boot=[dict(site="kv.put", fault="bitflip", proc="kv", n=10, arg=77)])
    fired(s, "bitflip", "kv.put")
    wait(s, "wl_done", timeout=90)
    s.console.run("service list")
    assert not [e for e in s.events if e.kind == "panic"]


def reaction(s, since):
    keep = ("fi_fired", "died", "restart_scheduled", "restarted", "init_result")
    return [(e.kind, e.get("label") or e.get("site")) for e in s.events[since:] if e.kind in keep]


def test_service_fi_arms_like_gdb(fi_os):
    a = fi_os(image("wl kv 5"))
    wait(a, "wl_done")
    a.arm("kv.put", "crash", proc="kv", n=3)
    mark_a = a.console.mark()
    a.console.run("run wl kv 40")
    wait(a, "restarted", label="kv")
    b = fi_os(image("wl kv 5"))
    wait(b, "wl_done")
    b.console.run("service fi kv kv.put crash nth=3")
    arm = wait(b, "fi_arm", site="kv.put")
    assert arm.get("by") == "tty" and arm.get("type") == "crash"
    mark_b = b.console.mark()
    b.console.run("run wl kv 40")
    wait(b, "restarted", label="kv")
    wait(a, "init_result", label="kv", type="restart")
    wait(b, "init_result", label="kv", type="restart")
    assert reaction(a, mark_a) == reaction(b, mark_b)
    assert ("fi_fired", "kv.put") in reaction(b, mark_b)


def test_same_experiment_same_trace(fi_os):
    def trace():
        s = fi_os(image(), arm_at_boot=[dict(site="kv.put", fault="crash", proc="kv", n=25)])
        done = wait(s, "wl_done", timeout=90)
        evs = s.events[:s.events.index(done) + 1]
        s.close()
        return [(e.t, e.get("who"), e.kind, tuple(sorted(e.fields.items()))) for e in evs]
    first, second = trace(), trace()
    assert any(k == "restarted" for _, _, k, _ in first)
    assert first == second


def test_host_reads_rs_table_and_kernel_counters(fi_os):
    s = fi_os(image(), arm_at_boot=[dict(site="kv.put", fault="crash", proc="kv", n=20)])
    before_ep = wait(s, "init_result", label="kv").get("ep")
    wait(s, "wl_done", timeout=90)
    wait(s, "init_result", label="kv", type="restart")
    table = s.rs_services()
    assert set(table) >= {"rs", "ds", "vm", "pm", "mem", "tty", "kv", "echo"}
    assert table["rs"].endpoint == s.inspect(lambda kv: kv.process("rs")).endpoint
    assert table["kv"].restarts == 1 and table["kv"].policy == "reset"
    assert str(table["kv"].endpoint) != before_ep
    assert table["echo"].restarts == 0 and table["echo"].policy == "restart"
    procs = s.inspect(lambda kv: kv.processes())
    names = {p.name for p in procs}
    assert {"rs", "pm", "kv", "idle", "system"} <= names
    ticks = s.inspect(lambda kv: kv.ticks())
    assert ticks > 0
    slot0 = s.inspect(lambda kv: kv.read_symbol_u32("fi_table") )
    assert slot0 == 0x46494E4A          # the fault table's magic, by symbol


def test_error_fault_returns_the_code_its_arg_names(live_os):
    """arg= of an `error` fault is the error its site returns (SPEC_FORMAT):
    kv's put error path answers -16 (EBUSY) when asked, EIO by default."""
    from faultinj import errnos
    for arm, want in (("arg=-16", errnos.EBUSY), ("", errnos.EIO)):
        con = live_os()                       # a fresh kv: nth counts its hits
        m = con.mark()
        con.run(f"service fi kv kv.put.err error nth=1 {arm}".strip())
        con.run("run wl kv 5", timeout=60)
        con.wait_event("wl_done", since=m, timeout=60)
        failed = con.events("kv_put_failed", since=m)
        assert failed and failed[0].int("err") == want, (arm, [e.raw for e in failed])


@pytest.mark.parametrize("fault", ["flip_branch", "null_ptr", "stuck_loop", "corrupt_ptr"])
def test_a_type_that_cannot_act_at_a_hand_site_never_fires(live_os, fault):
    """Armed from the shell (the host's spec check refuses it up front), an
    EDFI type at a hand FI_POINT site is not taken by the hook: it used to
    "fire" there with no effect, which scored as benign."""
    con = live_os()
    con.run(f"service fi kv kv.put {fault} nth=1")
    mark = con.mark()
    con.run("run wl kv 20")
    done = con.wait_event("wl_done", since=mark, timeout=60)
    assert done.int("answered") == 20
    assert not con.events("fi_fired", since=mark)
