"""Least authority, the confused deputy and the victims' data: a right
comes from whoever asks for a program, not from the program file, and kv's
keys belong to their writer.

- An ordinary user program has PM start the fault-injection tool wl with a
  crash request, 20 times: each wl runs with the user's rights, so kv
  refuses every crash (before: 13 crashes, a reset, RS giving up).
- An ordinary user program fills kv and writes and reads the workload's
  keys: it gets its own namespace of KV_USER_QUOTA keys (EDQUOT beyond),
  never sees or changes the workload's, and may delete only its own; the
  workload run afterwards is unaffected (before: answered=0 lost=1)."""

from faultinj import bootimage, errnos

DEPUTY = bootimage.system() + [("deputy", "noexec")]


def run_deputy(con, mode):
    mark = con.mark()
    con.run(f"run deputy {mode}", timeout=120, expect=None)
    con.wait_event("deputy_done", since=mark, timeout=120)
    return mark


def test_user_spawning_wl_gets_no_fault_injection_right(live_os):
    con = live_os(DEPUTY)
    m = con.mark()
    con.run("run wl kv 5", timeout=60)      # the shell's wl holds the right
    con.wait_event("wl_done", since=m, timeout=60)
    assert con.events("spawn", since=m, name="wl", fi="1")
    mark = run_deputy(con, "spawn")
    ev = con.wait_event("deputy_spawn", since=mark)
    assert ev.int("started") == 20 and ev.int("failed") == 0
    spawns = con.events("spawn", since=mark, name="wl")
    assert len(spawns) == 20 and all(e.get("fi") == "0" for e in spawns)
    assert len(con.events("kv_fault_refused", since=mark)) == 20
    for kind in ("kv_fault", "died", "restarted", "given_up"):
        assert not con.events(kind, since=mark), kind
    # the shell's wl still has the right
    m = con.mark()
    con.run("run wl kv 10 crash@3", timeout=60)
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert done.int("answered") == 10 and done.int("wrong") == 0
    assert [e for e in con.events("kv_fault", since=m) if e.get("kind") == "crash"]


def test_user_cannot_fill_or_touch_the_workloads_keys(live_os):
    con = live_os(DEPUTY)
    m = con.mark()
    con.run("run wl kv 50", timeout=60)
    first = con.wait_event("wl_done", since=m, timeout=60)
    assert first.int("answered") == 50 and first.int("wrong") == 0
    mark = run_deputy(con, "fill")
    fill = con.wait_event("deputy_fill", since=mark)
    assert fill.int("ok") == 16 and fill.int("err") == errnos.EDQUOT
    scr = con.wait_event("deputy_scribble", since=mark)
    # quota used up: no PUT lands; nothing of the workload's is read
    assert scr.int("put_ok") == 0 and scr.int("put_err") == errnos.EDQUOT
    assert scr.int("seen") == 0 and scr.int("get_err") == errnos.ENOENT
    dl = con.wait_event("deputy_del", since=mark)
    assert dl.int("own") == 0 and dl.int("gone") == errnos.ENOENT
    assert dl.int("again") == 0          # the deleted key's share is free again
    assert dl.int("other") == errnos.ENOENT      # the workload's key 50 is not its own
    assert con.events("kv_refused", since=mark, reason="quota")
    # the workload is unaffected, and its keys kept every value: a crash
    # brings the same table back (the user's keys are saved with it)
    m = con.mark()
    con.run("run wl kv 50 crash@25", timeout=60)
    done = con.wait_event("wl_done", since=m, timeout=60)
    assert (done.int("answered"), done.int("wrong"), done.int("lost"), done.int("gone")) == (50, 0, 0, 0)
    back = con.wait_event("kv_restored", since=m)
    assert back.int("keys") == 50 and back.int("user_keys") == 16
    # a later run of the deputy starts with its own, empty namespace: the
    # first one's keys are reclaimed once kv needs room
    mark = run_deputy(con, "fill")
    assert con.wait_event("deputy_fill", since=mark).int("ok") == 16
