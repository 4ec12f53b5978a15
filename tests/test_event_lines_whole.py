"""A fault in the kernel while it writes an event line leaves the line
whole (os/kernel/event.c, userout.c event_text_clean). Before, the line was
sanitised byte by byte as it went out: a flipped branch turned a letter of
a step's result into '?' and a fault that trapped cut the line in two, and
the host could not parse the step's result (7 kernel failures of the
2,000-experiment EDFI campaign, seed 1, "step did not report")."""

from tests.one_experiment import events, run


def test_a_byte_cleaned_wrongly_is_cleaned_again():
    """A branch of the byte check flipped once: the check pass disagrees
    with the first, the text is cleaned anew, and the kernel says so after
    the line; every line parses."""
    r = run("kernel flip_branch site=event_text_clean#4 trigger=nth:500 workload=echo",
            timeout=2.5, seed=1, name="ev_whole")
    assert r["activated"], r["id"]
    assert events(r, "event_redone", rounds=1), r["events"]
    assert not r["malformed"], r["malformed"]
    assert r["outcome"] == "benign", (r["outcome"], r["why"])


def test_a_fault_that_traps_while_a_line_is_built_prints_it_once_whole():
    """The kernel hangs while it cleans a process's event text: the call is
    contained before any byte went out, so it is restarted, not failed,
    and the line comes out whole."""
    r = run("kernel hang site=event_text_clean#3 trigger=nth:1300 workload=echo",
            timeout=2.5, seed=1, name="ev_whole")
    assert r["activated"], r["id"]
    contained = events(r, "kcall_contained", proc="scenario")
    assert contained and contained[0].get("fate") == "restarted", [e.raw for e in contained]
    assert not r["malformed"], r["malformed"]
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
