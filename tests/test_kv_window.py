"""kv's recovery window (issue 22, item 3; os/servers/kv/window.c): a
request's changes are committed whole when it ends or undone, so a restart
never starts from a half-applied change and the workload sees no stale or
wrong answer. The faults sit half-way through one PUT, between the writes
of its slot (hand sites kv.put.half and kv.put.half.err), and where EDFI
found kv answering wrongly: a look-up that put a key in a second slot
(undone by the window), or found the wrong slot or none for a GET (caught
by checking the look-up before answering; kv restarts when the check
keeps failing)."""

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
kv flip_branch site=kv_slot_of#3 trigger=nth:491 workload=kv
kv flip_branch site=kv_slot_of#1 trigger=nth:1499 workload=kv
kv stuck_loop site=kv_slot_of#3 trigger=nth:1550 workload=kv
kv corrupt_int site=kv_slot_of#2 trigger=nth:2587 arg=0 workload=kv
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


def _events(r, kind):
    return [e for e in r["events"] if f" ev={kind} " in e]


def _clean(exp_id, r):
    c = r["counts"]
    assert c["wrong"] == 0 and c["stale"] == 0 and c["gone"] == 0 and c["lost"] == 0, (exp_id, c)


def test_a_lookup_that_does_not_hold_up_is_asked_again(os_built):
    """A GET whose look-up found another key's slot (a value nobody wrote,
    nth:491) or no slot for a key kv holds (a stale answer, nth:1499) was
    answered so before; now the look-up is checked, the GET refused once
    and asked again, and every answer is right."""
    for exp_id in ("kv-flip_branch-site=kv_slot_of#3-nth:491-workload=kv",
                   "kv-flip_branch-site=kv_slot_of#1-nth:1499-workload=kv"):
        r = _run(exp_id)
        assert r["activated"], exp_id
        assert any("op=get" in e for e in _events(r, "kv_lookup_wrong")), exp_id
        assert not _events(r, "kv_fault"), exp_id            # one doubt: kv stays up
        assert r["outcome"] == "benign", (exp_id, r["outcome"], r["why"])
        _clean(exp_id, r)


def test_a_lookup_broken_for_good_restarts_kv_from_its_committed_table(os_built):
    """A look-up stuck for good (its loop patched) made clients wait for
    good before; now three failed checks in a row mean kv's memory is not
    to be trusted: kv dies, and RS restarts it from the committed table."""
    exp_id = "kv-stuck_loop-site=kv_slot_of#3-nth:1550-workload=kv"
    r = _run(exp_id)
    assert len(_events(r, "kv_lookup_wrong")) == 3, r["events"]
    assert any("kind=table_corrupt" in e for e in _events(r, "kv_fault"))
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
    _clean(exp_id, r)


def test_a_stray_write_under_a_request_is_not_committed(os_built):
    """A stray write clears a key's flag in kv's memory (corrupt_int at
    kv_slot_of#2 writes a used flag) during the PUT that rewrites the key:
    before, the PUT answered that the key held nothing and the client's
    ledger counted the acknowledged value gone (state_lost). Now the window
    sees the request found a field other than the committed copy has it:
    kv dies before answering, RS restarts it from DS's copy, and the retry
    is answered right."""
    exp_id = "kv-corrupt_int-site=kv_slot_of#2-nth:2587-arg=0-workload=kv"
    r = _run(exp_id)
    assert any("what=memory" in e for e in _events(r, "fi_effect")), exp_id
    assert any("kind=table_changed when=request" in e for e in _events(r, "kv_fault")), r["events"]
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
    _clean(exp_id, r)


def test_a_put_whose_look_up_misses_in_a_full_table_is_doubted_not_refused(os_built):
    """kv_slot_of's loop stuck past the key's slot for good (campaign seed 1):
    with all 64 workload keys held, a rewrite's look-up finds nothing and
    there is no free slot, so kv answered ENOSPC to every retry, wrote
    nothing for the window to check, answered RS's pings, and the client
    waited until the end (client_hung). Now the PUT checks a miss in a
    full table as GET and DEL check theirs: doubted (EAGAIN), and after
    DOUBT_MAX doubts kv dies and RS restarts it from the committed copy."""
    from tests import one_experiment
    r = one_experiment.run("kv stuck_loop site=kv_slot_of#3 trigger=nth:5721 workload=kv",
                           timeout=2.5, seed=1)
    assert r["activated"], r["id"]
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
    ev = one_experiment.events
    assert ev(r, "kv_lookup_wrong", op="put", slot=-1)
    assert [e for e in ev(r, "kv_fault") if e.get("kind") == "table_corrupt"]
    assert ev(r, "restarted", label="kv")
    c = r["counts"]
    assert c["wrong"] == 0 and c["stale"] == 0 and c["gone"] == 0 and c["lost"] == 0, c
