"""Checks and rsync settings for campaign workers on other machines
(pytest-xdist --tx ssh=...), made on the controller before any starts.

xdist copies each --rsyncdir root to CHDIR/<its name> on every remote
worker and gives the workers the controller's command line with its paths
rewritten under those roots. So this repository must be a root: the
remote runs its copy of the harness, and of the build, which travels with
it (campaigns/worker_run.py says why it is not built there). Paths on the
command line must be absolute: pytest-xdist 3.1 places no relative one
under a root ("not relative to an rsync root"). And what the workers do
not need stays home: other build variants, object files, reports.
"""

from pathlib import Path
from typing import List

import pytest

from campaigns import engine

ROOT = engine.ROOT


def remote_specs(config) -> List:
    """The --tx specs of workers on other machines (none without -d/--dist)."""
    if not config.getoption("tx", None) or config.getoption("dist", "no") == "no":
        return []
    import execnet
    from xdist.workermanage import parse_spec_config
    return [s for s in map(execnet.XSpec, parse_spec_config(config)) if not s.popen]


def check(config, settings: engine.Settings, build: Path) -> None:
    """Refuse (pytest.UsageError, naming the fix) what cannot work, and keep
    what the workers do not need out of the copy."""
    if not remote_specs(config):
        return
    from xdist.workermanage import make_reltoroot
    roots = [Path(d).resolve() for d in config.getoption("rsyncdir")]
    roots += [Path(d).resolve() for d in config.getini("rsyncdirs")]
    if ROOT not in roots:
        raise pytest.UsageError(
            f"workers on other machines need this repository: add --rsyncdir={ROOT} "
            f"(it is copied to CHDIR/{ROOT.name} on each)")
    try:
        make_reltoroot(roots, [str(a) for a in config.invocation_params.args])
    except ValueError as e:
        raise pytest.UsageError(
            f"{e}: with workers on other machines give paths absolute, e.g. "
            f"\"$PWD/campaigns/test_campaign.py\" and --rsyncdir=\"$PWD\"") from None
    build = build.resolve()
    if ROOT not in build.parents:
        raise pytest.UsageError(
            f"the build {build} is outside {ROOT}: workers on other machines get the build "
            f"with the repository, so it must be inside it")
    if settings.coverage:
        raise pytest.UsageError(
            "a coverage campaign runs on this machine's workers only (-n N): the gcov "
            "counters stay on the machine that gathers them")
    ignore = config.option.rsyncignore
    ignore += [str(ROOT / "reports" / "out"), str(ROOT / "reports" / "coverage")]
    ignore += [str(d) for d in sorted(ROOT.glob("build*")) if d.is_dir() and d.resolve() != build]
    ignore += [str(build / pattern) for pattern in ("*.o", "*.d", "*.a")]   # the ELFs suffice
    ignore.append("__pycache__")
