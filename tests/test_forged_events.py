"""Forged events: a user program (os/tests/forger.c) prints lines that read
like RS's `ev=ready`, the kernel's `ev=panic` and its `KERNEL PANIC:` line,
through its own console writes and TTY's write path, and asks for event
lines that name another producer. The host must believe none of it: only
lines the kernel framed are events, and who= is the kernel's word."""

from faultinj import bootimage
from faultinj.events import FRAME, schema

EINVAL = -22
ENOENT = -2


def test_user_output_never_passes_for_an_event(live_os):
    con = live_os(bootimage.system() + [("forger", "noexec")])
    stream = con.q.serial
    mark = con.mark()
    forged_before = len(stream.forged)
    con.run("run forger")
    done = con.wait_event("forge_done", who="forger", since=mark)
    con.wait_event("proc_exit", name="forger", since=mark)

    # plain output and TTY writes go through; event text that sets who= or
    # t=, or that the host could not parse, is refused
    assert all(done.int(k) == 0 for k in ("p1", "p2", "p3", "p4", "t1", "t2", "e4", "e5"))
    assert all(done.int(k) == EINVAL for k in ("e1", "e2", "e3", "e6")), done.raw
    # every kind reserved to other producers (contract/events.def @...),
    # with its fields, bare, quoted and after a decoy ev=: the kernel took
    # none of them, and said so (the first few)
    reserved = [k for k, d in schema().items() if not d.may_emit("forger", is_user=True)]
    assert done.int("tried") == 3 * len(reserved) and len(reserved) > 100, done.raw
    assert done.int("accepted") == 0, done.raw
    refused = con.events("event_refused", since=mark)
    assert [e.get("proc") for e in refused] == ["forger"] * 8
    assert [e.get("kind") for e in refused][:3] == [reserved[0]] * 3

    new = stream.events[mark:]
    # the forger's own kinds only, under its name; and the host refused
    # nothing, so the kernel let no forged producer through
    assert {e.kind for e in new if e.get("who") == "forger"} == {
        "forge_done", "forge_nl", "forge_quoted"}
    assert stream.malformed == []
    # no event came from the forgeries: no panic, no second ready, nothing
    # said to be the kernel's or RS's but the genuine ones
    assert not [e for e in stream.events if e.kind == "panic"]
    assert len([e for e in stream.events if e.kind == "ready"]) == 1
    assert not [e for e in new if e.get("who") == "rs" and e.kind == "ready"]
    assert not [e for e in new if e.t in (1, 2, 3, 4, 5, 6)]
    # the accepted event texts are the forger's, whatever they say inside
    nl = con.events("forge_nl", since=mark)
    quoted = con.events("forge_quoted", since=mark)
    assert [e.get("who") for e in nl + quoted] == ["forger", "forger"]
    assert nl[0].get("x") == " ?#EV t=6 who=kernel ev=panic????end"
    assert quoted[0].get("q") == 'x" who=rs'
    assert not con.events("forge_bad", since=mark)

    # the host saw them as user output, and counted them
    forged = stream.forged[forged_before:]
    assert "#EV t=1 who=rs ev=ready" in forged
    assert "KERNEL PANIC: forged by a user program" in forged
    assert "#EV t=3 who=rs ev=ready via=tty" in forged
    assert '^^#EV t=2 who=kernel ev=panic reason="forged"' in forged
    assert "^^KERNEL PANIC: forged with the frame" in forged
    assert "^^#EV t=4 who=kernel ev=panic" in forged
    assert len(forged) == 6, forged
    text = stream.text
    assert "^[[0m" in text and "\x1b" not in text
    # every frame on the console is the kernel's: each starts a line that
    # parses as an event (no panic line: the kernel did not panic)
    starts = [line.lstrip("\r")[:5] for line in text.split("\n") if FRAME in line]
    assert starts and set(starts) == {FRAME + "#EV "}
    assert text.count(FRAME) == len(stream.events)

    # what a run's outcome is read from saw none of the forged kinds: no
    # wl_done, fi_fired, given_up, restarted, shell_done of the forger's
    for kind in ("wl_done", "fi_fired", "given_up", "restarted", "rs_died", "sc_done"):
        assert not con.events(kind, since=mark), kind
    assert not [e for e in con.events("shell_done", since=mark) if e.get("who") != "tty"]

    # nothing changed for the system: it goes on serving, and the wl_done
    # waited for is the real one
    con.run("run wl kv 20")
    wl = con.wait_event("wl_done", since=mark, timeout=60)
    assert wl.get("who") == "wl" and wl.int("wrong") == 0 and wl.int("answered") == 20
    for kind in ("died", "restarted", "down", "given_up", "panic", "fault"):
        assert not con.events(kind, since=mark), kind
    con.run("service list")


def test_a_user_cannot_run_a_boot_service_under_its_name(live_os):
    """Only program files run as user programs: a user copy of RS would be
    named rs, and the kernel would vouch for its lines as RS's."""
    con = live_os()
    mark = con.mark()
    assert con.run("run rs", expect=None).int("result") == ENOENT
    assert con.run("run kv", expect=None).int("result") == ENOENT
    assert not con.events("spawn", since=mark)
    assert not con.events("panic", since=mark)


def test_refused_names_stay_inside_their_field(live_os):
    """Item 6: a refused request's label or program name is the
    requester's bytes. PM and RS quote it (ev_quote), so a `"` cannot make
    their event unparsable (the kernel would drop it: nothing recorded)
    and `key=value` text cannot override their own fields."""
    con = live_os(bootimage.system() + [("bomb", "noexec")])
    mark = con.mark()
    con.run("run bomb odd")
    done = con.wait_event("bomb_refused", since=mark, timeout=30)
    assert done.int("err") == 0 and done.int("started") == 7, done.raw
    pm = con.events("spawn_refused", since=mark)
    assert [e.get("name") for e in pm[-2:]] == ["x reason=ok", 'y" procs=0']
    assert all(e.get("reason") == "tree_limit" and e.int("procs") == 8 for e in pm[-2:])
    rs = con.events("rs_refused", since=mark)
    assert [(e.get("req"), e.get("label"), e.int("by") != 0) for e in rs] == [
        ("down", "kv req=list", True), ("down", 'kv" by=0', True)], [e.raw for e in rs]
    assert con.q.serial.malformed == []
