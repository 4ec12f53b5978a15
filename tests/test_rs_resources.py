"""RS knows what an instance needs (memory for its image, counted from
RS's own copy) and checks it against what the machine has before it stops
or replaces anything: a restart that cannot be done takes a service down,
or panics the system for a core service; an update is refused with the
old version untouched. RS's copies of executables come from its heap,
grown as needed (SYS_GROW)."""

from faultinj import bootimage, errnos
from faultinj.exitcodes import HOST_PANIC

HOGGED = bootimage.system() + [("kv2", "noexec"), ("memhog", "leave=12")]


def _hogged(live_os):
    con = live_os(HOGGED, memory_mb=32)       # less to take
    done = con.wait_event("memhog_done", timeout=60)
    assert done.int("free") <= 12 and done.int("taken") > 100, done.raw
    return con


def test_update_without_memory_is_refused_untouched(live_os):
    con = _hogged(live_os)
    m = con.mark()
    ev = con.run("service update kv -binary kv2 -state 1 -maxtime 100", expect=None, timeout=60)
    assert ev.int("result") == errnos.ENOMEM
    # refused for want of memory: for RS's copy of kv2, or for its image
    short = con.events("resources_short", since=m, label="kv")
    nocopy = con.events("image_no_memory", since=m, name="kv2")
    assert nocopy or (short and short[0].get("for") == "update"
                      and short[0].int("need_frames") > short[0].int("free_frames"))
    assert not con.events("update_prepared", since=m) and not con.events("update_requested", since=m)
    m = con.mark()
    con.run("service list")
    kv = con.events("service", since=m, label="kv")
    assert kv and kv[0].int("restarts") == 0


def test_restart_without_memory_takes_the_service_down(live_os):
    """echo restarts in place: its new image needs frames while the old
    one still holds its own, and there are not enough."""
    con = _hogged(live_os)
    m = con.mark()
    con.run("service fi echo sef.ping crash nth=1")
    down = con.wait_event("down", since=m, label="echo", timeout=60)
    assert down.get("why") == "no-resources" and down.int("result") == errnos.ENOMEM
    short = con.events("resources_short", since=m, label="echo")
    assert short and short[0].get("for") == "restart"
    assert not con.events("restarted", since=m, label="echo")
    m = con.mark()
    con.run("service list")                       # RS goes on; echo is gone
    labels = {e.get("label") for e in con.events("service", since=m)}
    assert "echo" not in labels and {"rs", "ds", "kv", "tty"} <= labels


def test_core_service_without_memory_panics_the_system(live_os):
    con = _hogged(live_os)
    con.q.write("service fi tty sef.ping crash nth=1\r")
    r = con.q.wait(60)
    assert r.exit_status == HOST_PANIC, (r.outcome, r.serial[-2000:])
    panic = [e for e in r.events if e.kind == "panic" and e.get("who") == "rs"]
    assert panic and panic[0].get("reason") == "not enough memory to restart core service"
    assert panic[0].get("proc") == "tty"


def test_rs_copies_executables_into_a_heap_it_grows(live_os):
    """No fixed arena: the copies of this boot's executables plus kv2's
    (loaded for an update) all fit, and the update works."""
    con = live_os(bootimage.system() + [("kv2", "noexec")])
    m = con.mark()
    con.run("service update kv -binary kv2 -state 1 -maxtime 100", timeout=60)
    assert con.events("update_done", since=m, label="kv")
    assert not con.events("image_no_memory")
