"""Harness of the campaign run (campaigns/test_campaign.py): where the
spec, journal and report are, and the report written when the run ends.

Environment (the Makefile sets these):
  CAMPAIGN_SPEC  spec file (default campaigns/specs/default.spec)
  CAMPAIGN_ONLY  comma-separated experiment ids or globs to run alone
  CAMPAIGN_OUT   report directory (default reports/out/<campaign name>)
  CAMPAIGN_FRESH=1  set the journal aside and run every experiment again
  OS_COVERAGE=1  collect gcov counters after every experiment (the
                 coverage build, OS_BUILD_DIR=build-cov) and add lcov pages
"""

import os
from pathlib import Path

import pytest

from campaigns import spec as specmod
from campaigns.journal import Journal

ROOT = Path(__file__).resolve().parent.parent


def spec_path() -> str:
    return os.environ.get("CAMPAIGN_SPEC", "campaigns/specs/default.spec")


def load_campaign():
    path = spec_path()
    try:
        return specmod.load(str(ROOT / path) if not os.path.isabs(path) else path)
    except specmod.SpecError as e:
        raise pytest.UsageError(f"bad campaign spec: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise pytest.UsageError(f"cannot read campaign spec {path}: {e}") from None


def out_dir(campaign) -> Path:
    d = os.environ.get("CAMPAIGN_OUT")
    return Path(d) if d else ROOT / "reports" / "out" / campaign.name


_fingerprint = None


def build_fingerprint() -> str:
    """Hash of the built binaries, the harness and the spec: a journal is
    only resumed for the same OS, the same runner and the same campaign."""
    global _fingerprint
    if _fingerprint is None:
        import hashlib
        from faultinj import bootimage
        h = hashlib.sha256()
        files = sorted(bootimage.BUILD.glob("*.elf"))
        files += sorted((ROOT / "campaigns").glob("*.py")) + sorted((ROOT / "faultinj").glob("*.py"))
        files += sorted((ROOT / "reports").glob("*.py"))
        for p in files:
            h.update(p.name.encode())
            h.update(p.read_bytes())
        h.update(Path(spec_path()).read_bytes() if Path(spec_path()).exists() else b"")
        _fingerprint = h.hexdigest()[:16]
    return _fingerprint


def coverage_acc(campaign):
    """Where the campaign's counters add up, or None without coverage."""
    if os.environ.get("OS_COVERAGE") != "1":
        return None
    return str(out_dir(campaign) / "coverage" / "gcda")


def journal_for(campaign) -> Journal:
    d = out_dir(campaign)
    d.mkdir(parents=True, exist_ok=True)
    return Journal(str(d / "journal.jsonl"))


def start_journal(campaign) -> bool:
    """A journal from another build, harness or spec is set aside, not
    resumed (so is any journal with FRESH=1). True if it was set aside."""
    j = journal_for(campaign)
    fp = build_fingerprint()
    stale = any(r.get("build") != fp for r in j.records())
    if j.bad_lines:
        _warn(f"{j.path}: skipped unreadable lines "
              + ", ".join(f"{n} ({why})" for n, why in j.bad_lines))
    if os.environ.get("CAMPAIGN_FRESH") == "1":
        stale = True
    if stale and os.path.exists(j.path):
        os.replace(j.path, str(j.path) + ".old")
        cov = out_dir(campaign) / "coverage"
        if cov.exists():                   # counters of the old runs go too
            import shutil
            shutil.rmtree(cov)
        return True
    return False


def _warn(msg: str) -> None:
    import sys
    print(f"warning: {msg}", file=sys.stderr)


def checked_campaign():
    """The campaign, checked against the built system before any machine
    starts (campaigns/check.py); a bad spec or ONLY stops pytest with one
    message, the same `make campaign` gives."""
    from campaigns import check
    from faultinj import bootimage
    try:
        return check.campaign_input(spec_path(), os.environ.get("CAMPAIGN_ONLY", ""),
                                    build=bootimage.BUILD, root=ROOT,
                                    spec_var="CAMPAIGN_SPEC", only_var="CAMPAIGN_ONLY")
    except check.InputError as e:
        raise pytest.UsageError(f"campaign refused: {e}") from None


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        return
    if any("test_campaign.py" in str(a) for a in config.args):
        from faultinj import bootimage, qemu
        qemu.clean_stale_tmpdirs()       # left by runs that were killed
        bootimage.build()
        start_journal(checked_campaign())


def pytest_sessionfinish(session, exitstatus):
    # the controller (or a run without xdist) writes the report once
    if hasattr(session.config, "workerinput"):
        return
    if not any(str(a).endswith("test_campaign.py") or "test_campaign.py" in str(a)
               for a in session.config.args):
        return
    from reports.build import write_report
    campaign = load_campaign()
    journal = journal_for(campaign)
    results = journal.results()
    order = {e.id: i for i, e in enumerate(campaign.experiments)}
    results = sorted((r for r in results if r["id"] in order), key=lambda r: order[r["id"]])
    # the report's verdicts come from the same function as the runner's,
    # applied to the recorded traces
    from campaigns.runner import reclassify
    results = [reclassify(campaign.get(r["id"]), r) for r in results]
    cov = None
    acc = coverage_acc(campaign)
    if acc and Path(acc).exists():
        import json
        from faultinj import bootimage, coverage
        summary = coverage.lcov_report(Path(acc), out_dir(campaign) / "coverage", bootimage.BUILD)
        (out_dir(campaign) / "coverage" / "summary.json").write_text(json.dumps(summary, indent=1))
        cov = dict(summary["components"])
        cov["html"] = summary["html"]
    paths = write_report(results, str(out_dir(campaign)), campaign.name, coverage=cov)
    failed = [r for r in results if not r.get("ok")]
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    msg = (f"campaign {campaign.name}: {len(results)}/{len(campaign.experiments)} experiments recorded, "
           f"{len(failed)} not as required\nreport: {paths['html']}")
    if journal.bad_lines:
        msg += (f"\nwarning: {journal.path}: unreadable lines skipped: "
                + ", ".join(str(n) for n, _ in journal.bad_lines))
    if tr:
        tr.write("\n")
        tr.write_line(msg)
    else:
        print(msg)
