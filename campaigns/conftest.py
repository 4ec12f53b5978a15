"""pytest's way of running a campaign (campaigns/test_campaign.py): the
three steps of campaigns/engine.py, prepare on the controller, one test per
experiment in any xdist worker, the report when the session ends.

Workers may be on other machines (--tx ssh=..., see README): the
controller checks the command line and what the copy of the repository
leaves out (campaigns/remote_options.py), sends each such worker its
settings, spec and the results already journaled (campaigns/worker_run.py),
and journals the results that come back in the test reports
(campaigns/result_relay.py).

Environment (the Makefile sets these):
  CAMPAIGN_SPEC  spec file (default campaigns/specs/default.spec)
  CAMPAIGN_ONLY  comma-separated experiment ids or globs to run alone
  CAMPAIGN_OUT   report directory (default reports/out/<campaign name>;
                 reports/coverage/<campaign name> with OS_COVERAGE=1)
  CAMPAIGN_FRESH=1  set the journal aside and run every experiment again
  OS_COVERAGE=1  collect gcov counters after every experiment (the
                 coverage build, OS_BUILD_DIR=build-cov) and add lcov pages
"""

import pytest

from campaigns import engine, remote_options, result_relay, worker_run

# the controller's (or a run without xdist's) journal, fed by the reports
_home = None


def _ours(config) -> bool:
    return any("test_campaign.py" in str(a) for a in config.args)


def _controller(config) -> bool:
    return not hasattr(config, "workerinput") and _ours(config)


def pytest_configure(config):
    global _home
    _home = None
    if not _controller(config):
        return
    from campaigns import check
    from faultinj import bootimage
    settings = engine.Settings.from_env()
    try:
        remote_options.check(config, settings, bootimage.BUILD)
        run = engine.prepare(settings, spec_var="CAMPAIGN_SPEC", only_var="CAMPAIGN_ONLY")
    except check.InputError as e:
        raise pytest.UsageError(f"campaign refused: {e}") from None
    worker_run.keep(config, run)
    _home = result_relay.Home(run.journal)


@pytest.hookimpl(optionalhook=True)            # an xdist hook: absent with -p no:xdist
def pytest_configure_node(node):
    # workers on this machine read the environment and share the files
    if _home is not None and not node.gateway.spec.popen:
        node.workerinput[worker_run.KEY] = worker_run.payload(worker_run.run_for(node.config))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    # what a remote worker removed of earlier killed runs, said here
    removed = getattr(node, "workeroutput", {}).get(worker_run.REMOVED)
    if _home is not None and removed:
        tr = node.config.pluginmanager.get_plugin("terminalreporter")
        text = (f"worker {node.gateway.id} ({node.gateway.spec}): removed {len(removed)} "
                f"dirs of killed runs: {', '.join(removed)}")
        tr.write_line(text) if tr else print(text)


def pytest_runtest_logreport(report):
    if _home is not None and "test_experiment[" in report.nodeid:
        _home.report(report)


@pytest.fixture(scope="session")
def campaign_run(request):
    why = worker_run.refusal(request.config)
    if why:
        pytest.fail(why, pytrace=False)
    return worker_run.run_for(request.config)


def pytest_sessionfinish(session, exitstatus):
    # the controller (or a run without xdist) writes the report once
    if not _controller(session.config):
        return
    s = engine.finish(engine.open_run(engine.Settings.from_env()))
    prepared = worker_run.run_for(session.config)
    if prepared.lock is not None:
        prepared.lock.release()               # the output directory is free again
    text = engine.summary_text(s)
    if _home is not None and _home.without_result:
        # passed, yet nothing came back to journal: not a success
        text += (f"\nerror: {len(_home.without_result)} experiments passed without sending "
                 f"their result: " + ", ".join(_home.without_result))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr:
        tr.write("\n")
        tr.write_line(text)
    else:
        print(text)
