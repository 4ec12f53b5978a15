"""The fault campaign as pytest tests: one test per experiment of the spec,
each run (or reused from the journal) by campaigns/engine.py run_one. The
test fails when the outcome is not the one the protocol requires. `make
campaign` runs the same engine without pytest (python3 -m campaigns run).
"""

import pytest

from campaigns import engine

RUN = engine.open_run(engine.Settings.from_env())


@pytest.mark.parametrize("exp", RUN.experiments, ids=[e.id for e in RUN.experiments])
def test_experiment(exp):
    result = engine.run_one(RUN, exp)
    assert result["ok"], (f"{exp.id}: expected {exp.expect}, got {result['outcome']}"
                          f" ({result.get('why') or result.get('error')})\n"
                          f"replay: {result['replay']}")
