"""A spec line's `policy=` is what RS runs that service with in the
experiment (RS boot argument policy=LABEL:reset|restart)."""

from campaigns import runner, spec


def _run(line):
    c = spec.parse(f"campaign p\nseed 1\ntimeout 30\n{line}\n")
    return runner.run(c.experiments[0], campaign=c)


def test_policy_restart_keeps_the_endpoint_reset_changes_it(os_built):
    restart = _run("kv crash trigger=nth:20 policy=restart")
    reset = _run("kv crash trigger=nth:20 policy=reset")
    for r, pol in ((restart, "restart"), (reset, "reset")):
        assert any(f"ev=policy_set label=kv policy={pol}" in e for e in r["events"]), pol
        done = [e for e in r["events"] if "ev=restarted label=kv" in e]
        assert done and f"policy={pol}" in done[0], done
        assert r["ok"], (r["outcome"], r["why"])
    same = [e for e in restart["events"] if "ev=restarted label=kv" in e][0]
    assert " ep=7 " in same and "old_ep=7" in same           # kv's boot endpoint kept
    moved = [e for e in reset["events"] if "ev=restarted label=kv" in e][0]
    assert " ep=7 " not in moved
