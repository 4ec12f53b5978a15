"""Theseus-style faults in the kernel's IPC path (os/kernel/ipc.c,
kernel.ipc.*): each is armed for one service at a point the workload
reaches, fires exactly once, never panics the kernel, and its effect is
in the trace: a wrong answer, a service restarted by RS, a client left
waiting. Each runs one campaign experiment (campaigns/runner.py)."""

import pytest

from campaigns import theseus
from faultinj import errnos
from tests.one_experiment import events, run as run_line


def run(line, timeout=30):
    return run_line(line, timeout=timeout, seed=1, name="kipc-test")


def fired_once(r, site, proc):
    """The fault fired exactly once, for proc, and the kernel held."""
    fired = events(r, "fi_fired")
    assert len(fired) == 1, [e.raw for e in fired]
    assert fired[0].get("site") == site and fired[0].get("proc") == proc, fired[0].raw
    assert fired[0].get("who") == "kernel"
    assert not events(r, "panic", who="kernel"), r["why"]
    assert r["outcome"] != "kernel_panic" and r["end"] in ("halt", "deadline"), (r["outcome"], r["end"])
    return fired[0]


def restarted_on_complaint(r, label, by, f):
    """The client's timed request got no reply: the kernel reported it, the
    client complained, and RS, having checked the kernel's record of a wait
    at least label's hang threshold (40 ticks), restarted label for it -
    not for a missed heartbeat or a death."""
    lost = events(r, "ipc_timeout", proc=by, dst=label, lost="reply")
    assert len(lost) == 1 and lost[0].t > f.t, r["why"]
    complaint = events(r, "complaint", label=label, by=by)
    assert len(complaint) == 1 and complaint[0].int("waited") >= 40, [e.raw for e in complaint]
    assert events(r, "restart_scheduled", label=label, cause="complaint"), r["why"]
    assert events(r, "restarted", label=label)
    assert not events(r, "died") and not events(r, "ping_missed")


# a flipped payload bit and a corrupted m_type are caught end to end:
# tests/test_kernel_ipc_garbled.py


def test_corrupt_destination_is_refused_and_the_lost_reply_asked_again(os_built):
    # kv's reply goes to a dead endpoint (generation bit flipped): the
    # kernel refuses it; the client's SENDREC ends at its deadline (issue
    # 22: it used to wait for good), the kernel reports the lost reply. The
    # client cannot tell a reply lost on the way from a request its server
    # took and dropped (the EDFI VM that answers pings but no requests):
    # it complains, RS restarts kv on the kernel's record of the wait, the
    # client asks again and nothing is lost
    r = run("kv error site=kernel.ipc.dest trigger=nth:2", timeout=5)
    f = fired_once(r, "kernel.ipc.dest", "kv")
    restarted_on_complaint(r, "kv", "scenario", f)
    assert r["outcome"] == "recovered" and r["counts"]["lost"] == 0 and r["counts"]["wrong"] == 0
    assert theseus.classify(r)[0] == "contained"


def test_corrupt_destination_of_a_pong_is_taken_for_a_hang(os_built):
    # VM's answer to RS's ping goes nowhere: RS restarts VM
    r = run("vm error site=kernel.ipc.dest trigger=nth:1")
    f = fired_once(r, "kernel.ipc.dest", "vm")
    missed = events(r, "ping_missed", label="vm")
    assert missed and missed[0].t > f.t
    assert events(r, "restarted", label="vm")
    assert r["outcome"] == "recovered"
    assert theseus.classify(r)[0] == "contained"


def ds_restarted_for_kv(r, f):
    """DS, which did not answer kv's SEF call, was restarted on kv's
    complaint; kv itself was never restarted, saved again, and the client
    found every answer right."""
    restarted_on_complaint(r, "ds", "kv", f)
    assert not events(r, "restarted", label="kv") and not events(r, "killed", label="kv")
    assert not events(r, "kv_save_failed")
    c = r["counts"]
    assert (c["lost"], c["wrong"], c["stale"], c["gone"]) == (0, 0, 0, 0), c
    assert c["verified"] > 0, r["why"]
    assert theseus.classify(r)[0] == "contained"


def test_wrong_source_is_refused_to_the_true_sender(os_built):
    # kv's save to DS carries a wrong m_source. DS used to answer that dead
    # endpoint, leaving kv to its deadline and DS to a restart; now DS's
    # libsys sees m_source differ from the sender the kernel names (edi,
    # os/lib/libsys/ipc.S) and refuses the save to kv itself at once with
    # EGARBLED: kv's save fails, its client asks again, nobody restarted
    r = run("kv error site=kernel.ipc.source trigger=nth:1")
    f = fired_once(r, "kernel.ipc.source", "kv")
    g = events(r, "ipc_garbled", who="ds")
    assert len(g) == 1 and g[0].t > f.t and g[0].get("from") == f.get("ep"), r["why"]
    assert g[0].get("call") == "receive" and g[0].int("answer") == 0, g[0].raw
    failed = events(r, "kv_save_failed")
    assert len(failed) == 1 and failed[0].int("err") == errnos.EGARBLED
    assert not events(r, "ipc_timeout") and not events(r, "restarted"), r["why"]
    assert r["outcome"] == "benign" and r["counts"]["wrong"] == 0
    assert theseus.classify(r)[0] == "contained"


def test_skipped_copy_leaves_a_stale_buffer(os_built):
    # DS's reply to kv's save is not copied: kv's buffer still holds its
    # own request, which used to pass for the reply (its type, DS_STORE,
    # taken for the result). Now kv's libsys finds the buffer is not what
    # DS sent: the save fails with EGARBLED, reported, and kv serves on
    r = run("kv error site=kernel.ipc.nocopy trigger=nth:2")
    f = fired_once(r, "kernel.ipc.nocopy", "kv")
    g = events(r, "ipc_garbled", who="kv")
    assert len(g) == 1 and g[0].t > f.t and g[0].get("call") == "sendrec", r["why"]
    failed = events(r, "kv_save_failed")
    assert failed and failed[0].t > f.t
    assert failed[0].int("err") == errnos.EGARBLED
    assert r["outcome"] == "benign"
    assert theseus.classify(r)[0] == "contained"


def test_dropped_reply_from_ds_no_longer_hangs_kv(os_built):
    # DS's reply to kv's save is dropped at delivery. kv used to wait for
    # good and be restarted for its missed pings; now its DS call ends at
    # its deadline, the kernel reports the lost reply, kv complains, RS
    # restarts DS on the kernel's record and kv saves again: kv is never
    # restarted and nothing is lost
    r = run("kv drop site=kernel.ipc.drop trigger=nth:2")
    f = fired_once(r, "kernel.ipc.drop", "kv")
    assert f.get("type") == "drop"
    ds_restarted_for_kv(r, f)


def test_dropped_request_is_noticed_and_asked_again(os_built):
    # the client's request to kv is lost at delivery; kv never saw it: the
    # client's deadline passes, the kernel reports it, the client complains
    # (it cannot tell this from kv dropping it), RS restarts kv on the
    # kernel's record, the client asks again and nothing is lost
    r = run("kv drop site=kernel.ipc.drop trigger=nth:1", timeout=5)
    f = fired_once(r, "kernel.ipc.drop", "kv")
    restarted_on_complaint(r, "kv", "scenario", f)
    assert r["outcome"] == "recovered" and r["counts"]["lost"] == 0 and r["counts"]["wrong"] == 0
    assert theseus.classify(r)[0] == "contained"


@pytest.mark.parametrize("nth,what", [(3, "a GET's reply"), (74, "a rewriting PUT's reply")])
def test_lost_reply_is_retried_and_the_ledger_stays_true(os_built, nth, what):
    # kv's reply is silently lost (kernel.ipc.send drop: kv's sends are a
    # save to DS, then the answer): nth:3 is a GET's answer, nth:74 that of
    # the PUT of item 64, the first to rewrite a key. The PUT had been
    # applied: asked again, kv applies it twice and answers that the key
    # already holds this very value; the client's ledger must take that
    # neither for a lost write (gone) nor for a wrong value. The client
    # complains of the unanswered request and RS restarts kv (state kept)
    # before it asks again
    r = run(f"kv drop site=kernel.ipc.send trigger=nth:{nth}")
    f = fired_once(r, "kernel.ipc.send", "kv")
    restarted_on_complaint(r, "kv", "scenario", f)
    done = [e for e in events(r, "wl_done") if e.t > f.t][0]
    assert done.int("timeouts") == 1 and done.int("retried") == 1, done.raw
    c = r["counts"]
    assert (c["lost"], c["wrong"], c["stale"], c["gone"]) == (0, 0, 0, 0), (what, c)
    assert c["verified"] > 0 and r["outcome"] == "recovered", (what, r["why"])


def test_sender_left_blocked_is_restarted(os_built):
    r = run("kv error site=kernel.ipc.sendblock trigger=nth:2")
    fired_once(r, "kernel.ipc.sendblock", "kv")
    assert events(r, "ping_missed", label="kv") and events(r, "restarted", label="kv")
    assert r["outcome"] == "recovered"


def test_wrong_buffer_crashes_the_receiver_not_the_kernel(os_built):
    # the message lands just past kv's buffer, on its stack: kv faults,
    # the kernel tells RS, RS restarts kv
    r = run("kv error site=kernel.ipc.wrongbuf trigger=nth:2")
    f = fired_once(r, "kernel.ipc.wrongbuf", "kv")
    fault = events(r, "fault", proc="kv")
    assert fault and fault[0].t > f.t
    assert events(r, "died", label="kv") and r["outcome"] == "recovered"


def test_duplicate_delivery_is_absorbed(os_built):
    r = run("kv error site=kernel.ipc.dup trigger=nth:2")
    fired_once(r, "kernel.ipc.dup", "kv")
    assert r["outcome"] == "benign" and r["counts"]["wrong"] == 0 and r["counts"]["lost"] == 0


def test_lost_alarm_makes_rs_stale_and_the_kernel_restarts_it(os_built):
    r = run("rs drop site=kernel.ipc.notify trigger=nth:2")
    fired_once(r, "kernel.ipc.notify", "rs")
    died = events(r, "rs_died", why="stale")
    assert died and events(r, "rs_recovered", gone="0")
    assert r["outcome"] == "recovered"


@pytest.mark.parametrize("kind", ["mtype", "result", "partial", "wakeup"])
def test_other_kinds_fire_once_without_a_panic(os_built, kind):
    r = run(f"echo error site=kernel.ipc.{kind} trigger=nth:2", timeout=5)
    fired_once(r, f"kernel.ipc.{kind}", "echo")
