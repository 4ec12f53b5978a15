"""kv's recovery window (issue 22, item 3; os/servers/kv/window.c): a
request's changes are committed whole when it ends or undone, so a restart
never starts from a half-applied change and the workload sees no stale or
wrong answer. The faults sit half-way through one PUT, between the writes
of its slot (hand sites kv.put.half and kv.put.half.err), and where EDFI
found kv answering wrongly (a look-up that put a key in a second slot)."""

from campaigns import runner, spec
from faultinj import bootimage

# wl's first 64 PUTs each write a new key (key = item % 64), in order
NTH = 20


def image():
    return bootimage.system(init="wl kv 120")


def wait(s, kind, timeout=90, **fields):
    return s.console.wait_event(kind, timeout=timeout, **fields)


def clean(done):
    """Every answer right, nothing stale, gone, wrong or unanswered."""
    for k in ("wrong", "stale", "gone", "lost"):
        assert done.int(k) == 0, done.raw
    assert done.int("answered") == 120, done.raw


def test_a_put_crashed_half_way_is_undone_by_the_restart(fi_os):
    """kv dies with the 20th PUT's flag and key written and its value not:
    the restarted kv holds the 19 acknowledged keys and not the half-put
    one, and the client's retry then lands whole."""
    s = fi_os(image(), arm_at_boot=[dict(site="kv.put.half", fault="crash", proc="kv", n=NTH)])
    wait(s, "fi_fired", site="kv.put.half", type="crash")
    restored = wait(s, "kv_restored", type="2")        # SEF_INIT_RESTART
    assert restored.int("keys") == NTH - 1, restored.raw
    clean(wait(s, "wl_done"))


def test_a_put_abandoned_half_way_is_rolled_back_in_memory(fi_os):
    """The 20th PUT takes its error path after two of its three writes: the
    window undoes both and nothing is saved before the error is answered,
    so a crash of kv right after it (at the retry's kv.put point) restarts
    from a table holding the 19 acknowledged keys only. (The client's retry
    rewrites the same slot, so a half-change left in memory would be hidden
    here; the rollback itself is what the EDFI test below needs.)"""
    s = fi_os(image(), arm_at_boot=[
        dict(site="kv.put.half.err", fault="error", proc="kv", n=NTH),
        # the retry of that PUT is kv.put's hit NTH + 1: crash before it
        dict(site="kv.put", fault="crash", proc="kv", n=NTH + 1)])
    undone = wait(s, "kv_window_undone", why="failed")
    assert undone.int("writes") == 2 and undone.int("key") == NTH - 1, undone.raw
    restored = wait(s, "kv_restored", type="2")
    assert restored.int("keys") == NTH - 1, restored.raw
    clean(wait(s, "wl_done"))


# EDFI experiments of the 222 aimed at kv (seed 7) where a fault in
# kv_slot_of made a PUT miss its key's slot and write the key again into
# another one: before the window that was committed and the key's
# acknowledged value was gone for good (state_lost).
EDFI = """campaign kv_window
seed 7
timeout 2.5
kv flip_branch site=kv_slot_of#3 trigger=nth:938 workload=kv
kv corrupt_int site=kv_slot_of#3 trigger=nth:4693 arg=33 workload=kv
"""


def _run(exp_id):
    c = spec.parse(EDFI, "kv_window.spec")
    return runner.run(c.get(exp_id), campaign=c)


def test_a_put_into_a_second_slot_is_caught_and_undone(os_built):
    for exp_id in ("kv-flip_branch-site=kv_slot_of#3-nth:938-workload=kv",
                   "kv-corrupt_int-site=kv_slot_of#3-nth:4693-arg=33-workload=kv"):
        r = _run(exp_id)
        assert r["activated"], exp_id
        undone = [e for e in r["events"] if " ev=kv_window_undone " in e]
        assert undone and all("why=insane" in e for e in undone), (exp_id, undone)
        assert r["outcome"] in ("benign", "recovered"), (exp_id, r["outcome"], r["why"])
        c = r["counts"]
        assert c["wrong"] == 0 and c["stale"] == 0 and c["gone"] == 0, (exp_id, c)
