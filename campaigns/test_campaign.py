"""The fault campaign as pytest tests: one test per experiment of the spec,
each run (or reused from the journal) by campaigns/engine.py run_one. The
test fails when the outcome is not the one the protocol requires; its
result rides on the test's report to the controller, which journals it
(campaigns/result_relay.py). `make campaign` runs the same engine without
pytest (python3 -m campaigns run).
"""

from campaigns import engine, result_relay, worker_run


def pytest_generate_tests(metafunc):
    # the experiments of this process's Run: a remote worker's comes from
    # the controller (campaigns/worker_run.py)
    if "exp" in metafunc.fixturenames:
        run = worker_run.run_for(metafunc.config)
        metafunc.parametrize("exp", run.experiments, ids=[e.id for e in run.experiments])


def test_experiment(exp, campaign_run, record_property):
    result = engine.run_one(campaign_run, exp)
    result_relay.attach(record_property, result)
    assert result["ok"], (f"{exp.id}: expected {exp.expect}, got {result['outcome']}"
                          f" ({result.get('why') or result.get('error')})\n"
                          f"replay: {result['replay']}")
