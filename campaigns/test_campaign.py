"""The fault campaign as pytest tests: one test per experiment of the spec.

Each experiment runs once: its result goes to the journal as soon as it
ends, and a campaign started again after an interruption skips every
experiment the journal already holds (resume). The test fails when the
outcome is not the one the protocol requires. Run it with `make campaign`.
"""

import os

import pytest

from campaigns import runner
from campaigns.conftest import (build_fingerprint, coverage_acc, journal_for, load_campaign,
                                spec_path)

CAMPAIGN = load_campaign()
ONLY = os.environ.get("CAMPAIGN_ONLY")
EXPERIMENTS = CAMPAIGN.select(ONLY.split(",")).experiments if ONLY else CAMPAIGN.experiments


@pytest.fixture(scope="session")
def built():
    from faultinj import bootimage
    bootimage.build()


_done = None


def _finished(journal):
    """What the journal held when this worker started: each experiment
    runs in exactly one worker, so reading it once (not once per test,
    which grows with the journal) is enough to resume."""
    global _done
    if _done is None:
        _done = {r["id"]: r for r in journal.results()}
    return _done


@pytest.mark.parametrize("exp", EXPERIMENTS, ids=[e.id for e in EXPERIMENTS])
def test_experiment(exp, built):
    journal = journal_for(CAMPAIGN)
    result = _finished(journal).get(exp.id)
    if result is not None and (result.get("error") or result.get("outcome") == "harness_error"):
        result = None                     # the harness failed, not the OS: run it again
    if result is None or ONLY:            # ONLY: a replay always runs again
        result = runner.run(exp, campaign=CAMPAIGN, spec_path=spec_path(),
                            coverage_dir=coverage_acc(CAMPAIGN))
        result["build"] = build_fingerprint()
        journal.record(result)
    assert result["ok"], (f"{exp.id}: expected {exp.expect}, got {result['outcome']}"
                          f" ({result.get('why') or result.get('error')})\n"
                          f"replay: {result['replay']}")
