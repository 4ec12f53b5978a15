"""PM and TTY under least authority: a fork bomb is held to its own process
tree (refused with EAGAIN and an ev=spawn_refused line) and the shell can
still start programs; children that are reaped free their places; PM and
TTY answer non-blocking, so a client that sends and never receives cannot
wedge them into a heartbeat kill."""

from faultinj import bootimage

EAGAIN = -11
TREE_MAX = 8                  # PM_TREE_MAX in os/servers/pm/pm.h


def wait_count(con, kind, n, since, timeout=60):
    """Wait until n events of this kind have come since `since`."""
    seen = []
    con.q.serial.wait_for(lambda e: e.kind == kind and (seen.append(e) or len(seen) >= n),
                          timeout, since=since)
    return seen


def test_fork_bomb_is_held_to_its_tree(live_os):
    con = live_os(bootimage.system() + [("bomb", "noexec")])
    mark = con.mark()
    con.run("run bomb spawn")
    # every bomb is refused once, then parks waiting for its children
    parked = wait_count(con, "bomb_refused", TREE_MAX, mark)
    assert all(e.int("err") == EAGAIN for e in parked)
    assert len(con.events("spawn", since=mark, name="bomb")) == TREE_MAX
    refusals = con.events("spawn_refused", since=mark)
    assert refusals and all(e.get("reason") == "tree_limit" and e.int("procs") == TREE_MAX
                            and e.int("err") == EAGAIN for e in refusals)

    # the shell still starts programs, each in a tree of its own
    m = con.mark()
    con.run("run wl kv 10")
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("answered") == 10 and done.int("wrong") == 0
    # reaped children free their places: more children than the limit, one by one
    con.run("run bomb reap 20")
    reaped = con.wait_event("bomb_reaped", since=m, timeout=60)
    assert reaped.int("reaped") == 20 and reaped.int("failed") == 0, reaped.raw
    assert not con.events("spawn_refused", since=m)
    m = con.mark()
    con.run("ps")
    bombs = con.events("proc", since=m, name="bomb")
    assert len(bombs) == TREE_MAX                              # the parked bomb, no zombies

    # killing the bomb's first process leaves its children to INIT, still
    # counted in their tree; killing the rest in pid order (each parent
    # before its children) leaves every one to INIT, which reaps them
    root = min(bombs, key=lambda e: e.int("pid"))
    m = con.mark()
    con.run(f"kill {root.get('pid')}")
    for b in bombs:
        if b is not root:
            con.run(f"kill {b.get('pid')}")
    wait_count(con, "proc_exit", TREE_MAX, m)
    wait_count(con, "init_reaped", TREE_MAX - 1, m)
    m = con.mark()
    con.run("ps")
    assert not con.events("proc", since=m, name="bomb")


def test_pm_and_tty_survive_a_client_that_never_receives(live_os):
    con = live_os(bootimage.system() + ["rude"])
    sent = con.wait_event("rude_sent", timeout=60)
    assert sent.int("pm") == 0 and sent.int("tty") == 0
    con.wait_event("rude_done", timeout=60)          # 15 heartbeat periods later
    for kind in ("ping_missed", "killed", "died", "restarted"):
        hit = [e.raw for e in con.events(kind) if e.get("label") in ("pm", "tty")]
        assert not hit, hit
    # they did answer, and the answers had nowhere to go
    assert con.events("pm_reply_lost", type="request")
    assert con.events("tty_reply_lost")
    # and they keep answering well-behaved callers
    m = con.mark()
    con.run("ps")
    assert con.events("proc", since=m, name="pm")
    con.run("run wl kv 10")
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("answered") == 10 and done.int("wrong") == 0
