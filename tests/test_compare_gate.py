# The regression gate end to end (reports/compare.py, `python3 -m campaigns
# compare`): a tiny campaign run on this build passes against itself; the
# same campaign on a copy of the system whose RS is deliberately broken
# (built into a directory of its own with -DRS_TEST_FORGET_STATE: every
# restart is announced as a fresh start, os/servers/rs/lifecycle.c) fails
# the comparison naming the component that lost its state, in the text and
# in the report's baseline section.

import os
import subprocess
import sys

import pytest

from faultinj import bootimage

SPEC = """campaign gate-tiny
seed 1
timeout 30
kv    crash  trigger=nth:5
kv    crash  trigger=nth:10
kv    crash  trigger=nth:15
kv    crash  trigger=nth:20
kv    crash  trigger=nth:25
kv    crash  site=kv.put trigger=nth:3
echo  crash  trigger=nth:30
"""


def _campaign(spec, out, build, baseline=None):
    env = dict(os.environ, OS_BUILD_DIR=str(build), OS_COVERAGE="0", OS_FAULTINJ="1")
    cmd = [sys.executable, "-m", "campaigns", "run", str(spec), "--jobs", "1", "--fresh",
           "--out", str(out)] + (["--baseline", str(baseline)] if baseline else [])
    r = subprocess.run(cmd, cwd=bootimage.ROOT, env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return out


def _compare(base, new):
    return subprocess.run([sys.executable, "-m", "campaigns", "compare", str(base), str(new)],
                          cwd=bootimage.ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, os_built):
    tmp = tmp_path_factory.mktemp("gate")
    broken = tmp / "build-rs-broken"
    bootimage.build([f"BUILD={broken}", "-j2", "EXTRA_CFLAGS=-DRS_TEST_FORGET_STATE"])
    spec = tmp / "tiny.spec"
    spec.write_text(SPEC)
    good = _campaign(spec, tmp / "good", os_built)
    bad = _campaign(spec, tmp / "bad", broken, baseline=good / "results.json")
    return good, bad


def test_a_campaign_compared_with_itself_passes(runs):
    good, _ = runs
    r = _compare(good, good / "results.json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS: no significant regression, no new failure signature" in r.stdout


def test_a_broken_recovery_fails_naming_the_component(runs):
    good, bad = runs
    r = _compare(good, bad)
    assert r.returncode == 1, r.stdout + r.stderr
    # kv's six crashes all lose its state: 6/6 -> 0/6 is significant on
    # its own (p = 1/C(12,6) before Holm's adjustment); echo's one is a new
    # signature only
    assert "REGRESSION kv crash policy=default: survived 6/6" in r.stdout, r.stdout
    assert "NEW SIGNATURE kv: recovered_state_lost" in r.stdout, r.stdout
    assert "NEW SIGNATURE echo: recovered_state_lost" in r.stdout, r.stdout
    assert "FAIL: recovery got worse in echo, kv (2 significant regressions" in r.stdout, r.stdout
    assert "worse  kv-crash-nth:20: recovered -> recovered_state_lost" in r.stdout, r.stdout
    # the broken campaign's report says so in its baseline section
    html = (bad / "index.html").read_text()
    assert 'id="baseline"' in html and "Worse than the baseline" in html
    assert "kv-crash-nth:20" in html.split('id="baseline"')[1].split('id="timelines"')[0]


def test_the_good_campaign_is_no_worse_than_the_broken_one(runs):
    """The test is one-sided: going back to the good RS is an improvement."""
    good, bad = runs
    r = _compare(bad, good)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "vanished signature kv: recovered_state_lost" in r.stdout, r.stdout
