"""RS brings the system up: init protocol in table order, SYNCH_BOOT
services finished before the next starts, the process tree, and a boot
service that fails or hangs its init halts the system with RS's panic."""

from faultinj import bootimage, errnos
from faultinj.exitcodes import HOST_PANIC

BOOT_ORDER = ["ds", "vm", "pm", "mem", "tty", "kv", "echo"]
SYNCH = {"ds", "vm", "pm"}


def test_boot_services_init_in_table_order(live_os):
    con = live_os()
    evs = con.q.serial.events
    starts = [e for e in evs if e.kind == "init_start" and e.get("who") == "rs"]
    assert [e.get("label") for e in starts] == BOOT_ORDER
    results = [e for e in evs if e.kind == "init_result" and e.get("who") == "rs"]
    assert sorted(e.get("label") for e in results) == sorted(BOOT_ORDER)
    assert all(e.int("result") == 0 and e.get("type") == "fresh" for e in results)
    # a SYNCH_BOOT service is initialized before the next one starts
    idx = {(e.kind, e.get("label")): i for i, e in enumerate(evs)
           if e.kind in ("init_start", "init_result")}
    for a, b in zip(BOOT_ORDER, BOOT_ORDER[1:]):
        if a in SYNCH:
            assert idx[("init_result", a)] < idx[("init_start", b)], (a, b)
    # every SEF service ran its fresh init callback itself
    sef = {e.get("label") for e in evs if e.kind == "sef_init" and e.get("type") == "fresh"}
    assert sef == set(BOOT_ORDER)


def test_process_tree(live_os):
    con = live_os()
    mark = con.mark()
    con.run("ps")
    procs = {e.get("name"): e for e in con.events("proc", since=mark)}
    assert procs["init"].int("pid") == 0 and procs["init"].get("kind") == "root"
    assert procs["rs"].int("ppid") == 0
    rs_pid = procs["rs"].get("pid")
    for name in BOOT_ORDER:
        assert procs[name].get("ppid") == rs_pid, name
        assert procs[name].get("kind") == "service"


def _boot_expect_panic(boot_os, arg):
    r = boot_os(bootimage.system(kv=arg), timeout=120)
    assert r.exit_status == HOST_PANIC, (r.outcome, r.serial[-3000:])
    panic = [e for e in r.events if e.kind == "panic" and e.get("who") == "rs"]
    assert panic and panic[0].get("proc") == "kv", r.serial[-3000:]
    assert "RS PANIC: boot service failed to initialize: kv" in r.serial
    return r


def test_boot_service_init_failure_halts(boot_os):
    r = _boot_expect_panic(boot_os, "sef_init=fail")
    res = [e for e in r.events if e.kind == "init_result" and e.get("label") == "kv"]
    assert res and res[0].int("result") != 0


def test_boot_service_init_silence_halts_after_limit(boot_os):
    r = _boot_expect_panic(boot_os, "sef_init=timeout")
    to = [e for e in r.events if e.kind == "init_timeout" and e.get("label") == "kv"]
    start = [e for e in r.events if e.kind == "init_start" and e.get("label") == "kv"]
    assert to and start
    # RS waited its whole limit (INIT_TIMEOUT = 200 ticks = 2 s virtual,
    # counted in whole clock ticks of 10 ms)
    assert to[0].t - start[0].t >= 2_000_000 - 10_000


def test_rs_has_its_own_slot(live_os):
    """RS is in its own table, public part and private part: listed, with
    its endpoint, never pinged, and not something RS stops or restarts on
    request (it updates itself: tests/test_rs_self_update.py)."""
    con = live_os()
    m = con.mark()
    con.run("service list")
    rs = con.events("service", since=m, label="rs")
    assert rs and rs[0].int("period") == 0
    for cmd in ("service down rs", "service restart rs", "service refresh rs"):
        ev = con.run(cmd, expect=None)
        assert ev.int("result") == errnos.EPERM, cmd
    assert con.events("rs_refused", req="self", label="rs")
    assert not con.events("ping_missed", label="rs")


def _panic_of(r):
    panics = [e for e in r.events if e.kind == "panic" and e.get("who") == "rs"]
    assert r.exit_status == HOST_PANIC and panics, (r.outcome, r.serial[-2000:])
    return panics[0]


def test_core_service_missing_from_the_image_is_a_clear_panic(boot_os):
    for missing in ("ds", "pm", "tty"):
        mods = [m for m in bootimage.system() if (m if isinstance(m, str) else m[0]) != missing]
        p = _panic_of(boot_os(mods, timeout=60))
        assert p.get("reason") == "core service missing from the boot image"
        assert p.get("proc") == missing


def test_duplicate_boot_module_is_refused(boot_os):
    p = _panic_of(boot_os(bootimage.system() + ["kv"], timeout=60))
    assert p.get("reason") == "duplicate boot module" and p.get("proc") == "kv"


def test_bare_test_image_needs_no_core_services(boot_os):
    from tests.kernel_image import assert_passed, image
    r = boot_os(image("ipc"))
    assert_passed(r, "ipc")
    assert [e for e in r.events if e.kind == "boot_image" and e.get("kind") == "bare"]


def test_rs_tables_priv_sys_dev(live_os):
    """RS's priv, sys and dev tables, merged: the console's driver is named
    in DS by its device, also after the driver restarts."""
    con = live_os()
    m = con.mark()
    con.run("service list")
    svc = {e.get("label"): e for e in con.events("service", since=m)}
    assert svc["tty"].get("dev") == "console" and svc["kv"].get("dev") == "-"
    assert svc["kv"].get("policy") == "reset" and svc["echo"].get("policy") == "restart"
    pub = [e for e in con.events("ds_publish") if e.get("label") == "dev.console"]
    assert pub and pub[-1].get("ep") == svc["tty"].get("ep")
    m = con.mark()
    con.q.write("service restart tty\r")      # the shell restarts with it: no shell_done
    con.wait_event("init_result", since=m, label="tty", type="restart", result=0, timeout=60)
    again = con.wait_event("ds_publish", since=m, label="dev.console", timeout=30)
    assert again.get("ep") == svc["tty"].get("ep")          # restart policy: same endpoint

