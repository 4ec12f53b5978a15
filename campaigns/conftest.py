"""pytest's way of running a campaign (campaigns/test_campaign.py): the
three steps of campaigns/engine.py, prepare on the controller, one test per
experiment in any xdist worker, the report when the session ends.

Environment (the Makefile sets these):
  CAMPAIGN_SPEC  spec file (default campaigns/specs/default.spec)
  CAMPAIGN_ONLY  comma-separated experiment ids or globs to run alone
  CAMPAIGN_OUT   report directory (default reports/out/<campaign name>)
  CAMPAIGN_FRESH=1  set the journal aside and run every experiment again
  OS_COVERAGE=1  collect gcov counters after every experiment (the
                 coverage build, OS_BUILD_DIR=build-cov) and add lcov pages
"""

import pytest

from campaigns import engine


def _ours(config) -> bool:
    return any("test_campaign.py" in str(a) for a in config.args)


def pytest_configure(config):
    if hasattr(config, "workerinput") or not _ours(config):
        return
    from campaigns import check
    try:
        engine.prepare(engine.Settings.from_env(), spec_var="CAMPAIGN_SPEC",
                       only_var="CAMPAIGN_ONLY")
    except check.InputError as e:
        raise pytest.UsageError(f"campaign refused: {e}") from None


def pytest_sessionfinish(session, exitstatus):
    # the controller (or a run without xdist) writes the report once
    if hasattr(session.config, "workerinput") or not _ours(session.config):
        return
    s = engine.finish(engine.open_run(engine.Settings.from_env()))
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr:
        tr.write("\n")
        tr.write_line(engine.summary_text(s))
    else:
        print(engine.summary_text(s))
