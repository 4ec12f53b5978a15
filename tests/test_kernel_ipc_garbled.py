"""Messages the kernel garbles in its copy are caught end to end (issue 22,
os/lib/libsys/ipc.S): the sender's libsys passes a check of its message
outside it, the kernel carries it, the receiver's libsys finds the message
does not match, reports it (ev=ipc_garbled) and does not take it. A
garbled reply fails the client's SENDREC with EGARBLED; a garbled request
is refused to its sender at once with EGARBLED. Either way the request is
asked again at once - no deadline waited out, nobody restarted - and no
answer is wrong. A payload bit flipped and an m_type corrupted, each in a
reply and in a request. Each runs one campaign experiment."""

import pytest

from campaigns import theseus
from faultinj import errnos
from tests.one_experiment import events, run as run_line
from tests.test_kernel_ipc_faults import fired_once


def run(line):
    return run_line(line, timeout=30, seed=1, name="kipc-garbled")


def caught(r, f, by, call, sent):
    """by's libsys caught the garbled message from the faulty sender right
    after the fault fired, and the system went on without loss: asked
    again at once, no timeout, no restart, every answer right."""
    g = events(r, "ipc_garbled", who=by)
    assert len(g) == 1 and g[0].t > f.t, [e.raw for e in events(r, "ipc_garbled")] or r["why"]
    assert g[0].get("call") == call and g[0].get("sent") == sent, g[0].raw
    assert g[0].get("from") == f.get("ep"), g[0].raw      # the kernel's record, not m_source
    assert not events(r, "ipc_timeout") and not events(r, "restarted"), r["why"]
    c = r["counts"]
    assert (c["lost"], c["wrong"], c["stale"], c["gone"]) == (0, 0, 0, 0), c
    assert c["retried"] >= 1 and c["verified"] > 0, c
    assert r["outcome"] == "benign", r["why"]
    assert theseus.classify(r)[0] == "contained"
    return g[0]


@pytest.mark.parametrize("line, site, victim", [
    # kv's third send after the fault goes live is a GET's reply: bit 5 of
    # its value word flips in the kernel's copy. It used to be a wrong
    # answer; now the client's libsys finds it and the SENDREC fails
    ("kv error site=kernel.ipc.payload trigger=nth:3", "kernel.ipc.payload", "kv"),
    # kv's second send is a reply to the client: its m_type (the result)
    # is XOR-masked in the kernel's copy
    ("kv error site=kernel.ipc.mtype trigger=nth:2", "kernel.ipc.mtype", "kv"),
])
def test_a_garbled_reply_is_caught_and_asked_again(os_built, line, site, victim):
    r = run(line)
    f = fired_once(r, site, victim)
    caught(r, f, "scenario", "sendrec", "sendnb")


@pytest.mark.parametrize("line, site, victim", [
    # kv's first send is its save to DS: a bit of it flips. DS's libsys
    # refuses it to kv at once; kv's save fails with EGARBLED, kv answers
    # its client so, and the client asks again
    ("kv error site=kernel.ipc.payload trigger=nth:1", "kernel.ipc.payload", "kv"),
    # echo's save to DS has its type turned into the neighbouring request
    # (arg=1): DS used to apply that one and set echo's counter back, a
    # rollback the client saw. Now DS refuses it unapplied, echo's save
    # fails with EGARBLED and the client asks again
    ("echo error site=kernel.ipc.mtype trigger=nth:1 arg=1", "kernel.ipc.mtype", "echo"),
])
def test_a_garbled_request_is_refused_not_applied(os_built, line, site, victim):
    r = run(line)
    f = fired_once(r, site, victim)
    g = caught(r, f, "ds", "receive", "sendrec")
    assert g.int("answer") == 0, g.raw
    failed = events(r, f"{victim}_save_failed")
    assert len(failed) == 1 and failed[0].int("err") == errnos.EGARBLED, [e.raw for e in failed]
