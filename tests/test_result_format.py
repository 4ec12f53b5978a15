"""A result record has one description (campaigns/result.py): what a real
run writes is exactly what it describes, the experiment's part comes from
spec_model.Experiment.as_dict, and pass/fail is decided in one place."""

from campaigns import result, runner, spec


def test_a_real_result_has_exactly_the_described_fields(os_built):
    c = spec.parse("campaign r\nseed 1\ntimeout 30\nkv crash trigger=nth:20\n")
    r = runner.run(c.experiments[0], campaign=c)
    assert result.unknown_fields(r) == []
    missing = [k for k, (who, _) in result.FIELDS.items() if who != "engine" and k not in r]
    assert missing == [] or set(missing) <= {"forged", "forged_lines"}, missing


def test_the_experiment_part_comes_from_the_spec_model():
    e = spec.parse("campaign r\nkv crash\n").experiments[0]
    spec_fields = {k for k, (who, _) in result.FIELDS.items() if who == "spec"}
    assert set(e.as_dict()) == spec_fields


def test_pass_fail_is_one_decision():
    from reports.build import result_passed
    assert result.passed("benign", "benign,recovered") and not result.passed("given_up", "recovered")
    r = {"outcome": "recovered", "expected": "recovered"}
    assert result.judge(dict(r))["ok"] is True and result_passed(r)
    assert not result_passed({"outcome": "recovered", "expected": "halted", "ok": True})
    assert not result_passed({"outcome": "recovered", "expected": "recovered", "ok": False})
