"""No client waits for good on a service that refuses its requests (issue
22). The fault is an EDFI experiment of the campaign (seed 1) that ended
client_hung: a corrupted register in echo's main loop makes echo receive
into one buffer and read another, so it answers every ECHO_ECHO with
ENOSYS while SEF still answers RS's pings. The kernel counts a client's
ENOSYS answers in a row (os/kernel/ipc_refusal.c), the client complains
(RS_COMPLAIN, COMPLAIN_REFUSED) and RS, once it finds that count, restarts
echo (os/servers/rs/complain.c). RS does not take the complainer's word:
without the kernel's count, for a request echo does not serve, or from a
user program, the complaint is refused (the last one:
tests/test_least_authority.py, attack rs_complain_echo_refused)."""

from faultinj import bootimage
from tests import one_experiment
from tests.kernel_image import assert_passed, checks, events_of

ECHO_REFUSES = "echo corrupt_ptr site=main#9 trigger=nth:21 arg=9 workload=echo"


def test_an_echo_that_refuses_every_request_is_restarted_on_complaint():
    r = one_experiment.run(ECHO_REFUSES, timeout=2.5, seed=1)
    assert r["activated"], r["id"]
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
    ev = one_experiment.events
    assert not ev(r, "ping_missed", label="echo")      # the heartbeat never saw it
    complaint = ev(r, "complaint", label="echo", by="scenario", why="refused")
    assert complaint and complaint[0].int("refused") >= 3, complaint
    assert complaint[0].int("type") == 0x900            # ECHO_ECHO, a call echo serves
    assert ev(r, "restart_scheduled", label="echo", cause="complaint")
    assert ev(r, "restarted", label="echo")
    done = ev(r, "wl_done", target="echo")
    assert done and all(d.int("wrong") == 0 and d.int("lost") == 0 for d in done), done


def test_a_complaint_the_kernel_does_not_bear_out_is_refused(boot_os):
    """A privileged client (ktest) complains that echo refuses it: with no
    refusal counted, then after echo rightly refused a call it does not
    have three times (counted by the kernel, as the client reads back),
    for an unknown reason, and of a lost reply that never was. Every
    complaint is refused, echo is not restarted, and any other answer
    from echo ends the kernel's count."""
    r = boot_os(bootimage.system() + [("ktest", "refused")], timeout=120)
    assert_passed(r, "refused")
    c = checks(r)
    assert c["kernel_counted"].int("got") == 3
    assert not events_of(r, "complaint")
    assert not events_of(r, "restarted") and not events_of(r, "restart_scheduled")
    assert len(events_of(r, "rs_refused", req="complain", label="echo")) == 4
