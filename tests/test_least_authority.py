"""Least authority: an ordinary user program cannot end RS or a service,
order RS about, replace a service with its own code, forge an event, crowd
DS or take over a label, exhaust the process table, or make a victim fault
on request. Every attempt is refused with a clear error and leaves a
trace; the system keeps running and serving afterwards."""

import pytest

from faultinj import bootimage, errnos

HOSTILE = bootimage.system() + [("hostile", "noexec")]
ATTACKS = {"exit_rs", "exit_tty", "exit_kv", "rs_restart_echo", "rs_refresh_ds", "rs_down_echo",
           "rs_update_kv", "rs_up_kv", "rs_gcov", "rs_update_pm_hostile", "rs_complain_vm",
           "rs_complain_echo_refused",
           "kv_crash", "kv_hang", "echo_crash", "echo_hang",
           "event_claims_kernel", "kcall_readonly_message", "ds_subscribe_25", "ds_publish_echo",
           "fork_bomb", "kill_others"}


def test_hostile_user_program_is_refused_everything(live_os):
    con = live_os(HOSTILE)
    for target in ("kv", "echo"):           # both published and serving
        m = con.mark()
        con.run(f"run wl {target} 5", timeout=60)
        con.wait_event("wl_done", since=m, timeout=60)
    m = con.mark()
    con.run("run hostile park")             # someone else's user process
    other = con.wait_event("spawn", since=m, name="hostile").int("pid")
    mark = con.mark()
    con.run("run hostile", timeout=60, expect=None)
    done = con.wait_event("hostile_done", since=mark, timeout=60)
    attacks = {e.get("name"): e for e in con.events("attack", since=mark)}
    assert set(attacks) == ATTACKS
    assert {n: (errnos.name(e.int("result")), errnos.name(e.int("want")))
            for n, e in attacks.items() if e.int("result") != e.int("want")} == {}
    want = {n: errnos.name(e.int("want")) for n, e in attacks.items()}
    assert want["event_claims_kernel"] == "EINVAL" and want["ds_subscribe_25"] == "EDQUOT"
    assert want["fork_bomb"] == "EAGAIN" and want["exit_rs"] == "EPERM"
    assert 0 < con.wait_event("hostile_subs", since=mark).int("ok") < 25
    assert 0 < con.wait_event("hostile_bomb", since=mark).int("started") < 20
    assert con.wait_event("hostile_kill", since=mark).int("tried") >= 8    # services, INIT, ...
    assert con.events("pm_refused", since=mark, op="kill", pid=other)
    # the forged lines reached the host as user output, never as events
    stream = con.q.serial
    assert any("ev=ready services=99" in line for line in stream.forged)
    assert any("KERNEL PANIC: forged" in line for line in stream.forged)
    assert len([e for e in stream.events if e.kind == "ready"]) == 1
    assert not [e for e in stream.events if e.kind == "panic"]
    assert done.int("refused") == done.int("attacks") == len(ATTACKS)
    assert con.events("spawn_refused", since=mark) and con.events("ds_refused", since=mark)
    # the kernel says whom it refused, RS says which orders it refused
    denied = con.events("denied", since=mark, who="kernel", call="exit")
    assert {e.get("proc") for e in denied} == {"rs", "tty", "kv"}
    assert all(e.get("by") == "hostile" for e in denied)
    refused = {(e.get("req"), e.get("label")) for e in con.events("rs_refused", since=mark)}
    assert {("restart", "echo"), ("refresh", "ds"), ("down", "echo"), ("update", "kv"),
            ("up", "kv"), ("update", "pm"), ("complain", "vm"), ("complain", "echo")} <= refused
    assert con.events("kv_fault_refused", since=mark) and con.events("echo_fault_refused", since=mark)
    # nothing was hurt: no death, no restart, no update, no panic
    for kind in ("died", "exit", "restarted", "down", "update_prepared", "kv_fault", "echo_fault",
                 "panic", "given_up"):
        bad = [e.raw for e in con.events(kind, since=mark)
               if not (kind == "exit" and e.get("proc") in ("hostile", "wl"))]
        assert not bad, bad
    # and everything still serves: a full workload on both victims, and
    # RS's table unchanged
    for target in ("kv", "echo"):
        m = con.mark()
        con.run(f"run wl {target} 40", timeout=60)
        wl = con.wait_event("wl_done", since=m, timeout=60)
        assert wl.int("answered") == 40 and wl.int("wrong") == 0 and wl.int("lost") == 0
    m = con.mark()
    con.run("service list")
    assert {e.get("label") for e in con.events("service", since=m)} == {
        "rs", "ds", "vm", "pm", "mem", "tty", "kv", "echo", "init"}


def test_live_update_runs_only_a_registered_binary(live_os):
    con = live_os()
    mark = con.mark()
    ev = con.run("service update kv -binary echo", expect=None, timeout=60)
    assert ev.int("result") == errnos.EPERM
    assert con.events("update_refused", since=mark, label="kv", binary="echo")
    assert not con.events("update_prepared", since=mark)
    # the label's own binary is always registered
    con.run("service update kv -binary kv -state 1 -maxtime 100", timeout=60)
    assert con.events("update_done", since=mark, label="kv")
    m = con.mark()
    con.run("run wl kv 20", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("answered") == 20


def test_fault_requests_still_work_for_the_fault_injection_tool(live_os):
    """wl holds the fault-injection right (module `noexec fi`): its crash
    request is obeyed, and RS restarts the victim."""
    con = live_os()
    mark = con.mark()
    con.run("run wl kv 30 crash@10", timeout=60)
    done = con.wait_event("wl_done", since=mark, timeout=60)
    assert done.int("answered") == 30 and done.int("wrong") == 0
    assert [e for e in con.events("kv_fault", since=mark) if e.get("kind") == "crash"]
    con.wait_event("restarted", since=mark, label="kv")


@pytest.mark.parametrize("insn", ["sgdt", "sidt", "sldt", "smsw", "str"])
def test_descriptor_table_addresses_do_not_leak_to_ring_3(live_os, insn):
    """sgdt, sidt, sldt, smsw and str are unprivileged on x86 unless
    CR4.UMIP is set: a user program could read where the kernel keeps its
    tables. With UMIP (os/kernel/protect.c) each faults: the program is
    ended with a general protection fault and reads nothing."""
    con = live_os(bootimage.system() + [("leak", "noexec")])
    m = con.mark()
    con.run(f"run leak {insn}")
    exit_ = con.wait_event("proc_exit", since=m, name="leak", timeout=60)
    assert not con.events("leak_read", since=m), con.events("leak_read", since=m)[0].raw
    fault = con.events("fault", since=m, proc="leak")
    assert fault and fault[0].get("trap") == "13", [e.raw for e in fault]
    assert exit_.int("status") == 139
