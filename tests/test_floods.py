"""Floods from an ordinary user program (os/tests/flood.c): a stream of
requests a server obeys or refuses, for many seconds of virtual time,
must neither make a busy server look hung (RS's guardian judges RS by its
blocks in receive, not by samples at clock ticks) nor starve RS's
supervision, and refusals are summarised, not printed one line each."""

import pytest

from faultinj import bootimage

FLOOD = bootimage.system() + [("flood", "noexec")]
HANG_BOUND = 1_000_000   # usec from kv's hang to its restart: two periods (0.4 s) and slack


def charged(ev):
    """The text of an event its process handed the kernel (what its output
    budget is charged): the line without the kernel's "#EV t=.. who=.."."""
    return ev.raw[ev.raw.index("ev="):]


def kv_restarted_in_time(con, fault, kind, bound):
    """`run wl kv 30 FAULT`: kv's fault of this kind is followed by its
    restart within bound usec of virtual time."""
    m = con.mark()
    con.run(f"run wl kv 30 {fault}", timeout=120)
    hit = con.q.serial.wait_for(lambda e: e.kind == "kv_fault" and e.get("kind") == kind,
                                120, since=m)
    back = con.wait_event("restarted", since=m, label="kv", timeout=120)
    assert back.t - hit.t <= bound, (hit.raw, back.raw)


def flood(con, mode, args):
    """Start the flood; return the mark before it and its start event."""
    m = con.mark()
    con.run(f"run flood {mode} {args}")
    return m, con.wait_event("flood_start", since=m, mode=mode, timeout=60)


# Every request a user may send RS (os/tests/flood.c's rs_requests), with
# the event kind RS records it under when it refuses it
RS_REQUESTS = {"rslist": None, "getpub": None, "rs": "rs_refused", "update": "rs_refused",
               "sysctl": "rs_refused", "gcov": "rs_refused", "hello": None, "initres": None,
               "luready": None, "srvpid": "rs_refused", "rsunknown": None}
CRASH_BOUND = 200_000    # usec from kv's crash to its restart: the kernel tells RS at once


@pytest.mark.timeout(900)
@pytest.mark.parametrize("mode", sorted(RS_REQUESTS))
def test_rs_request_flood_neither_hangs_rs_nor_starves_supervision(live_os, mode):
    """30 s of virtual time of one RS request in a loop, from an ordinary
    user program: RS neither dies nor looks hung, a kv crash and a kv hang
    in the middle of it are restarted in their normal times, every request
    is answered as a user's, and RS says fewer than 1,000 lines of it."""
    con = live_os(FLOOD)
    mark, start = flood(con, mode, 30)
    kv_restarted_in_time(con, "crash@5", "crash", CRASH_BOUND)
    kv_restarted_in_time(con, "hang@10", "hang", HANG_BOUND)
    done = con.wait_event("flood_done", since=mark, mode=mode, timeout=900)
    assert done.int("n") > 100 and done.int("ok") == done.int("n"), done.raw
    assert done.t - start.t >= 30_000_000 - 10_000     # the start event falls inside a tick
    for kind in ("rs_died", "panic", "rs_restarted"):
        assert not con.events(kind, since=mark), con.events(kind, since=mark)[0].raw
    # no service but kv was restarted or missed a ping
    others = [e for e in con.events("restarted", since=mark) + con.events("ping_missed", since=mark)
              if e.get("label") != "kv"]
    assert not others, others[0].raw
    lines = con.events("rs_refused", since=mark) + con.events("suppressed", since=mark, what="rs_refused")
    assert len(lines) < 1000, (mode, len(lines))
    if RS_REQUESTS[mode]:
        assert lines, mode              # refusals are recorded, in lines or counts
    if mode == "rslist":
        # RS prints a user's list on the user's output budget, 8 KB a second
        # (the text RS passed: the kernel's "t= who=" prefix is not charged)
        listed = sum(len(charged(e)) for e in con.events("service", since=mark))
        assert listed <= 32 * 8192, listed
        assert con.events("suppressed", since=mark, what="output", proc="flood")
    m = con.mark()
    con.run("run wl kv 10", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("answered") == 10


REFUSED = {"rs": "rs_refused", "ds": "ds_refused", "pm": "pm_refused", "kernel": "denied"}


def test_refusal_floods_are_summarised(live_os):
    """Four user programs ask RS, DS, PM and the kernel for what they may
    not have, in a loop, for 5 s of virtual time (the kernel's 2 s): each
    server prints a few refusals a second and counts the rest in one
    `suppressed` line a second; the counts add up to what was refused."""
    con = live_os(FLOOD)
    m = con.mark()
    con.run("run flood park")               # a process of another tree, for PM's flood
    other = con.wait_event("spawn", since=m, name="flood").int("pid")
    mark = con.mark()
    # the kernel's flood alone: it never blocks, and would leave the others
    # one turn per quantum
    for mode in ("rs", "ds", "pm"):
        flood(con, mode, f"5 {other}" if mode == "pm" else 5)
    done = {mode: con.wait_event("flood_done", since=mark, mode=mode, timeout=300)
            for mode in ("rs", "ds", "pm")}
    flood(con, "kernel", 2)
    done["kernel"] = con.wait_event("flood_done", since=mark, mode="kernel", timeout=300)
    # RS and the kernel say their last second's count within a second
    # (RS every round, the kernel every tick): two seconds of something else;
    # DS and PM at their next refusal: one more each
    m = con.mark()
    con.run("run flood rslist 2")
    con.wait_event("flood_done", since=m, mode="rslist", timeout=60)
    for mode in ("ds", "pm"):
        m = con.mark()
        con.run(f"run flood {mode} 0 {other}")
        con.wait_event("flood_done", since=m, mode=mode, timeout=60)
    for mode, kind in REFUSED.items():
        d = done[mode]
        assert d.int("ok") > 100, d.raw
        lines = con.events(kind, since=mark)
        summaries = con.events("suppressed", since=mark, what=kind)
        assert len(lines) + len(summaries) < 1000, (kind, len(lines), len(summaries))
        assert summaries, kind
        counted = len(lines) + sum(s.int("n") for s in summaries)
        # every refusal of the flood is on a line or in a count (the last
        # one, of DS and PM, is the extra request's)
        assert counted <= d.int("ok") + 200, (kind, counted, d.raw)
        assert counted >= d.int("ok") * 0.95, (kind, counted, d.raw)
    for kind in ("rs_died", "panic", "died", "restarted"):
        assert not con.events(kind, since=mark), con.events(kind, since=mark)[0].raw
    m = con.mark()
    con.run("run wl kv 10", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("answered") == 10


def test_parked_trees_cannot_lock_out_the_shell(live_os):
    """Seven fork bombs, each a tree of parked processes (orphans stay in
    their tree): their processes cannot take the slots kept for new trees,
    so the shell can still `run wl kv 10`."""
    con = live_os(bootimage.system() + [("bomb", "noexec")])
    mark = con.mark()
    for _ in range(7):
        m = con.mark()
        con.run("run bomb spawn")
        con.wait_event("bomb_refused", since=m, timeout=60)
    m = con.mark()
    con.run("run wl kv 10", timeout=60)
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("answered") == 10 and done.int("wrong") == 0
    assert {e.get("reason") for e in con.events("spawn_refused", since=mark)} <= {
        "tree_limit", "user_limit"}


def test_a_user_program_printing_in_a_loop_is_held(live_os):
    """A user program that prints a line in a loop for 3 s of virtual time:
    the kernel passes 8 KB a second of it and counts the rest, said in
    `suppressed what=output` lines; the host keeps the run's output small."""
    con = live_os(FLOOD)
    mark, _ = flood(con, "out", 3)
    done = con.wait_event("flood_done", since=mark, mode="out", timeout=120)
    m = con.mark()
    con.run("run flood out 1")          # after the first has ended, its last count said
    con.wait_event("flood_done", since=m, mode="out", timeout=60)
    held = con.events("suppressed", since=mark, what="output", proc="flood")
    assert len(held) >= 2, [e.raw for e in held]
    line = 65                           # bytes of one line of flood.c's output
    assert sum(e.int("n") for e in held) >= (done.int("n") - 4 * 8192 // line) * line * 0.9
    shown = [x for x in con.q.serial.text.split("\n") if x.startswith("flood flood")]
    assert len(shown) <= 5 * 8192 // line + 10, len(shown)    # 3 s, the summary's run: 5 periods at most


@pytest.mark.timeout(900)
def test_busy_loop_and_ipc_storms_make_no_service_look_hung(live_os):
    """A user busy loop, an IPC storm on echo and one on DS, together for
    10 s of virtual time (50 heartbeat periods; each second of it costs
    the host about 4 s): every service answers its heartbeats (no missed
    ping, no restart), and a kv hang in the middle is still found and
    restarted in its normal time."""
    con = live_os(FLOOD)
    mark = con.mark()
    starts = {mode: flood(con, mode, 10)[1] for mode in ("spin", "echo", "dslookup")}
    kv_restarted_in_time(con, "hang@10", "hang", HANG_BOUND)
    for mode, start in starts.items():
        done = con.wait_event("flood_done", since=mark, mode=mode, timeout=900)
        assert done.int("n") > 100 and done.int("ok") == done.int("n"), done.raw
        assert done.t - start.t >= 10_000_000 - 10_000
    for kind in ("rs_died", "panic", "rs_restarted"):
        assert not con.events(kind, since=mark), con.events(kind, since=mark)[0].raw
    others = [e for e in con.events("restarted", since=mark) + con.events("ping_missed", since=mark)
              if e.get("label") != "kv"]
    assert not others, others[0].raw
    m = con.mark()
    con.run("run wl kv 10", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("answered") == 10


def test_printing_through_tty_is_held_on_the_writers_budget(live_os):
    """The same printing loop through TTY (TTY_WRITE): TTY prints on the
    writer's budget (SYS_DIAGCTL's DIAG_FOR), so it is held as if the
    writer printed itself."""
    con = live_os(FLOOD)
    mark, _ = flood(con, "tty", 3)
    done = con.wait_event("flood_done", since=mark, mode="tty", timeout=120)
    assert done.int("ok") == done.int("n") > 1000, done.raw
    held = con.events("suppressed", since=mark, what="output", proc="flood")
    assert held, "TTY printed a user's flood in full"
    line = 48
    shown = [x for x in con.q.serial.text.split("\n") if x.startswith("f" * 40)]
    assert len(shown) <= 5 * 8192 // line + 10, len(shown)
    assert sum(e.int("n") for e in held) >= (done.int("n") - 5 * 8192 // line) * line * 0.9
    for kind in ("panic", "died", "restarted"):
        assert not con.events(kind, since=mark), con.events(kind, since=mark)[0].raw


@pytest.mark.timeout(900)
def test_pm_tree_flood_is_printed_on_the_askers_budget(live_os):
    """PM's tree (`ps`), asked for in a loop by a user program for 2 s:
    PM prints it on the asker's output budget, so the flood is held to
    8 KB a second like the program's own output."""
    con = live_os(FLOOD)
    mark, _ = flood(con, "pmtree", 2)
    done = con.wait_event("flood_done", since=mark, mode="pmtree", timeout=600)
    assert done.int("ok") == done.int("n") > 100, done.raw
    printed = sum(len(charged(e)) for e in con.events("proc", since=mark))
    assert printed <= 4 * 8192, printed
    assert con.events("suppressed", since=mark, what="output", proc="flood")


def test_a_busy_loop_does_not_slow_another_users_client(live_os):
    """`run wl kv 300` while a user busy loop runs: the client, woken by
    each answer with its quantum left, goes first in its queue (as in
    MINIX), so it is not held a quantum behind the loop at every request.
    Queued at the back, the 300 requests took 4.8 s of virtual time; the
    workload alone takes about 10 ms."""
    con = live_os(FLOOD)
    m = con.mark()
    con.workload("kv", 300)
    alone = con.events("wl_done", since=m)[0].t - con.events("wl_start", since=m)[0].t
    mark, _ = flood(con, "spin", 5)
    m = con.mark()
    done = con.workload("kv", 300)
    beside = done.t - con.events("wl_start", since=m)[0].t
    assert done.int("answered") == 300
    assert beside <= 3 * alone + 20_000, (alone, beside)
    con.wait_event("flood_done", since=mark, mode="spin", timeout=900)
