"""The oracle and the verdict on real runs (issue 18): a loss early in a
long load is seen although the load rewrites every key afterwards; a step
whose report never reaches the console is not benign; an update whose new
version never finishes its init is rolled back and RS says it failed.
Each of these came out as a success before (recovered, benign, an OK
answer)."""

from campaigns import runner, spec

SPEC = """campaign oracle_truth
seed 18
timeout 30
kv       crash      trigger=times:7
scenario error      site=kernel.call trigger=nth:2
kv       hang       site=sef.init.cb mode=update
"""


def _run(exp_id):
    c = spec.parse(SPEC, "oracle_truth.spec")
    return runner.run(c.get(exp_id), campaign=c)


def _events(r, kind):
    return [e for e in r["events"] if f" ev={kind} " in e or e.endswith(f" ev={kind}")]


def test_an_early_loss_under_a_long_load_is_seen(os_built):
    """After kv's 7th crash RS escalates to a pristine instance, which starts
    with an empty table; the 100 requests after it rewrite all 64 keys, so
    the final read-back alone is right. The ledger (kv's PUT answers what
    the key held) still sees the 40 acknowledged writes gone."""
    r = _run("kv-crash-times:7")
    assert any("init=fresh" in e for e in _events(r, "restarted")), "no pristine restart"
    gone = _events(r, "wl_gone")
    assert gone and all("during=rewrite" in e for e in gone), gone[:3]
    assert r["counts"]["gone"] == 40 and r["counts"]["wrong"] == 0
    assert r["outcome"] == "recovered_state_lost", (r["outcome"], r["why"])
    # and the verdict says the state was lost after kv came back
    assert "after kv came back" in r["why"]


def test_a_report_that_never_arrives_is_not_benign(os_built):
    """The scenario's 2nd kernel call after the fault goes live prints the
    workload's wl_done line; the kernel fails it, so that report is missing."""
    r = _run("scenario-error-site=kernel.call-nth:2")
    assert _events(r, "fi_fired") and not [e for e in _events(r, "wl_done")
                                           if "who=scenario" in e and "answered=100" in e]
    assert r["outcome"] == "wrong_answers", (r["outcome"], r["why"])
    assert "did not report (no wl_done)" in r["why"]


def test_an_update_whose_new_version_hangs_in_init_is_rolled_back_and_answered_so(os_built):
    r = _run("kv-hang-site=sef.init.cb-nth:1-mode=update")
    assert not _events(r, "ping_missed"), "RS pinged a service in its init"
    assert [e for e in _events(r, "update_failed") if "why=init-timeout" in e]
    assert not _events(r, "update_done")
    answer = [e for e in _events(r, "sc_service") if "op=update" in e]
    assert answer and "result=-60" in answer[0], answer          # ETIMEDOUT
    assert r["outcome"] == "rolled_back", (r["outcome"], r["why"])
    assert r["counts"]["gone"] == 0 and r["counts"]["verified"] > 0
