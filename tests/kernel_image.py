"""The boot image of the kernel tests and helpers to read their verdicts.

ktest (os/tests/ktest.c) runs one scenario against peer, victim and lonely
and prints a "check" event per assertion; these helpers turn that into
readable pytest failures.
"""

BASE = ["rs", "peer", "lonely"]


def image(scenario, victim="none", order=None):
    mods = BASE + [("victim", victim), ("ktest", scenario)]
    if order is not None:
        mods = [mods[i] for i in order]
    return mods


def checks(result):
    return {e.get("name"): e for e in result.events if e.kind == "check"}


def assert_passed(result, scenario):
    failed = [f"{e.get('name')}: got {e.get('got')} want {e.get('want')}"
              for e in result.events if e.kind == "check" and e.get("ok") != "1"]
    assert not failed, f"{scenario}: failed checks {failed}\n{result.serial[-3000:]}"
    done = [e for e in result.events if e.kind == "test_done"]
    assert done, f"{scenario}: no test_done event, outcome {result.outcome}\n{result.serial[-3000:]}"
    assert done[-1].int("failures") == 0 and done[-1].int("checks") > 0
    assert result.outcome == "halt", f"{scenario}: outcome {result.outcome}\n{result.serial[-3000:]}"


def events_of(result, kind, **fields):
    return [e for e in result.events if e.kind == kind
            and all(e.get(k) == str(v) for k, v in fields.items())]
