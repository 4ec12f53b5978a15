"""Floods from an ordinary user program (os/tests/flood.c): a stream of
requests a server obeys or refuses, for many seconds of virtual time,
must neither make a busy server look hung (RS's guardian judges RS by its
blocks in receive, not by samples at clock ticks) nor starve RS's
supervision, and refusals are summarised, not printed one line each."""

from faultinj import bootimage

FLOOD = bootimage.system() + [("flood", "noexec")]
HANG_BOUND = 1_000_000   # usec from kv's hang to its restart: two periods (0.4 s) and slack


def flood(con, mode, secs):
    """Start the flood; return the mark before it and its start event."""
    m = con.mark()
    con.run(f"run flood {mode} {secs}")
    return m, con.wait_event("flood_start", since=m, mode=mode, timeout=60)


def test_rs_list_flood_neither_hangs_rs_nor_starves_supervision(live_os):
    con = live_os(FLOOD)
    mark, start = flood(con, "rslist", 30)
    # a hang of kv in the middle of the flood is found by heartbeats and
    # kv restarted in its normal detection time
    m = con.mark()
    con.run("run wl kv 30 hang@10", timeout=120)
    hang = con.q.serial.wait_for(lambda e: e.kind == "kv_fault" and e.get("kind") == "hang",
                                 120, since=m)
    back = con.wait_event("restarted", since=m, label="kv", timeout=120)
    assert back.t - hang.t <= HANG_BOUND, (hang.raw, back.raw)
    done = con.wait_event("flood_done", since=mark, mode="rslist", timeout=300)
    assert done.int("n") > 100 and done.int("ok") == done.int("n"), done.raw
    assert done.t - start.t >= 30_000_000
    for kind in ("rs_died", "panic", "rs_restarted"):
        assert not con.events(kind, since=mark), con.events(kind, since=mark)[0].raw
    m = con.mark()
    con.run("run wl kv 10", timeout=60)
    assert con.wait_event("wl_done", since=m, timeout=60).int("answered") == 10
