"""VM computes each answer about a mask twice and answers only if both
agree (os/servers/vm/main.c, check_twice): a transient fault in its
request path (here a skipped instruction or a flipped branch in `handle`,
hit by the probe's VM_GET_MASK questions at the end of the experiment)
would otherwise give the probe a wrong answer while VM looks healthy. VM
stops instead, RS restarts it with its masks rebuilt, and the probe, told
of the death, asks again and gets the right answer. Both experiments ended
wrong_answers ("vm answered wrongly once, state intact") before."""

import pytest

from tests.one_experiment import events, run


@pytest.mark.parametrize("line", [
    "vm skip_insn site=handle#0 trigger=nth:6 workload=kv",      # the dispatch: ENOSYS first
    "vm flip_branch site=handle#14 trigger=nth:5 workload=kv",   # slot_of: EINVAL first
])
def test_a_wrong_mask_answer_is_caught_and_vm_restarted(line):
    r = run(line, timeout=2.5, seed=1, name="vm_checked")
    assert r["activated"], r["id"]
    assert events(r, "vm_disagree", type="0x502"), r["events"]
    assert events(r, "restarted", label="vm"), r["events"]
    assert not events(r, "sc_wrong"), [e.raw for e in events(r, "sc_wrong")]
    probe = events(r, "sc_probe", label="vm")
    assert probe and probe[-1].get("state") == "ok" and probe[-1].get("wrong") == "0", probe
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
