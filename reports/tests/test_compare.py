# Unit tests of the campaign comparison (reports/compare.py): the one-sided
# Fisher exact test and Holm's adjustment against published values and a
# brute-force count, and the comparison on hand-made records: a campaign
# against itself passes, a regression or a new signature fails naming the
# component, an improvement passes, a trimmed baseline compares as the full one.

import itertools
import json
import math
import subprocess
import sys

import pytest

from faultinj import bootimage
from reports import compare as cmp


# ---------------------------------------------------------------- statistics

@pytest.mark.parametrize("kb,nb,kn,nn,p", [
    # Fisher's lady tasting tea: 3 of 4 cups right, one-sided p = 17/70
    (3, 4, 1, 4, 17 / 70),
    # Wikipedia's dieting table (women 9 of 12, men 1 of 12): one tail
    # 0.001346076 + 0.000033652 (R: fisher.test(..., alternative="less"))
    (9, 12, 1, 12, 0.0013797280926100418),
    (3, 3, 0, 3, 0.05),                    # 1 / C(6, 3)
    (10, 10, 0, 10, 1 / math.comb(20, 10)),
    (5, 5, 5, 5, 1.0),                     # nothing lost: nothing to see
    (0, 5, 5, 5, 1.0),                     # better is never a regression
    (7, 9, 7, 9, 2178 / 3060),             # no change: 1 - P(X=8) - P(X=9), by hand
])
def test_fisher_less_known_values(kb, nb, kn, nn, p):
    assert cmp.fisher_less(kb, nb, kn, nn) == pytest.approx(p, rel=1e-4)


def _brute(kb, nb, kn, nn):
    """The same tail by listing every way the survivors could have fallen
    among the runs: the share of equally likely splits with NEW no better."""
    runs = nb + nn
    splits = list(itertools.combinations(range(runs), kb + kn))
    low = sum(1 for s in splits if sum(1 for x in s if x >= nb) <= kn)
    return low / len(splits)


@pytest.mark.parametrize("nb,nn", [(4, 4), (5, 3), (2, 6), (6, 5)])
def test_fisher_less_equals_a_brute_force_count(nb, nn):
    for kb in range(nb + 1):
        for kn in range(nn + 1):
            assert cmp.fisher_less(kb, nb, kn, nn) == pytest.approx(_brute(kb, nb, kn, nn))


def test_fisher_less_refuses_impossible_counts():
    with pytest.raises(ValueError):
        cmp.fisher_less(5, 4, 0, 1)


def test_holm_known_values():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")
    assert cmp.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert cmp.holm([0.5]) == [0.5]
    assert cmp.holm([0.9, 0.8]) == [1.0, 1.0]          # capped at 1, monotone
    assert cmp.holm([0.02, 0.04]) == pytest.approx([0.04, 0.04])
    assert cmp.holm([]) == []


# ---------------------------------------------------------------- records

def rec(i, service="kv", fault="crash", outcome="recovered", label=None, function=None,
        policy=None):
    r = {"id": f"{service}-{fault}-{i}", "service": service, "fault": fault,
         "outcome": outcome, "expected": "recovered", "ok": outcome == "recovered",
         "activated": outcome != "not_activated", "policy": policy,
         "site": function or f"{service}.put",
         "evidence": {"divergence": {"label": label, "event": "x"} if label else None}}
    return r


def campaign(kv_lost=0, n=12):
    rs = [rec(i, outcome="recovered_state_lost" if i < kv_lost else "recovered",
              label="wl_done:lost" if i < kv_lost else None) for i in range(n)]
    rs += [rec(i, service="echo", outcome="recovered") for i in range(6)]
    rs += [rec(i, service="ds", fault="hang", outcome="recovered_state_lost",
               label="sc_state_lost") for i in range(2)]
    return rs


def test_a_campaign_against_itself_passes():
    c = cmp.compare(campaign(), campaign())
    assert not c["fail"] and not c["regressions"] and not c["appeared"]
    assert not c["flips"] and not c["vanished"]
    assert all(g["p"] == 1.0 for g in c["groups"] if g["p"] is not None)
    assert "PASS" in cmp.text(c)


def test_a_significant_regression_fails_naming_the_component():
    base, new = campaign(), campaign(kv_lost=10)
    c = cmp.compare(base, new)
    assert c["fail"]
    assert {(g["service"], g["fault"]) for g in c["regressions"]} == \
        {("kv", "crash"), ("kv", cmp.ALL_FAULTS)}
    g = c["regressions"][0]
    assert g["base"]["k"] == 12 and g["new"]["k"] == 2
    assert g["p"] == pytest.approx(cmp.fisher_less(12, 12, 2, 12))
    assert len([f for f in c["flips"] if f["change"] == "worse"]) == 10
    out = cmp.text(c)
    assert "REGRESSION kv crash" in out and "FAIL: recovery got worse in kv" in out


def test_one_new_failure_fails_by_its_signature_not_by_the_test():
    c = cmp.compare(campaign(), campaign(kv_lost=1))
    assert not c["regressions"]                      # 12/12 -> 11/12 is no evidence
    assert [(s["service"], s["outcome"], s["event"]) for s in c["appeared"]] == \
        [("kv", "recovered_state_lost", "wl_done:lost")]
    assert c["fail"] and "NEW SIGNATURE kv" in cmp.text(c)


def test_an_improvement_passes_and_says_what_vanished():
    c = cmp.compare(campaign(kv_lost=4), campaign())
    assert not c["fail"]
    assert [s["service"] for s in c["vanished"]] == ["kv"]
    assert {f["change"] for f in c["flips"]} == {"better"}


def test_the_same_signature_in_another_component_is_new():
    """Signatures are per component: ds's state loss is known, kv's is not."""
    base = campaign()
    new = campaign()
    new[0] = rec(0, outcome="recovered_state_lost", label="sc_state_lost")
    new[0]["site"] = "ds.put"                    # same function name as ds's
    for r in base + new:
        if r["service"] == "ds":
            r["site"] = "ds.put"
    c = cmp.compare(base, new)
    assert [s["service"] for s in c["appeared"]] == ["kv"]


def test_not_activated_runs_are_left_out_of_the_shares():
    base = campaign()
    new = campaign() + [rec(99, outcome="not_activated")]
    c = cmp.compare(base, new)
    kv = next(g for g in c["groups"] if (g["service"], g["fault"]) == ("kv", "crash"))
    assert kv["base"]["n"] == kv["new"]["n"] == 12 and not c["fail"]
    assert c["only_new"] == ["kv-crash-99"]


def test_a_trimmed_baseline_compares_as_the_full_records():
    new = campaign(kv_lost=3)
    full = cmp.compare(campaign(kv_lost=3), new)
    trimmed = cmp.compare(cmp.trim(campaign(kv_lost=3)), new)
    assert not trimmed["fail"] and trimmed == full
    assert set(cmp.trim(new)[0]) <= set(cmp.KEEP) | {"evidence"}


# ---------------------------------------------------------------- command line

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "campaigns", "compare", *map(str, args)],
                          cwd=bootimage.ROOT, capture_output=True, text=True, timeout=60)


def _write(path, records):
    path.write_text(json.dumps({"campaign": "t", "results": records}))
    return path


def test_cli_exit_status_and_text(tmp_path):
    base = _write(tmp_path / "base.json", campaign())
    (tmp_path / "rep").mkdir()
    bad = _write(tmp_path / "rep" / "results.json", campaign(kv_lost=10))
    r = _cli(base, base)
    assert r.returncode == 0 and "PASS" in r.stdout, r.stdout + r.stderr
    r = _cli(base, tmp_path / "rep")                 # a report directory
    assert r.returncode == 1, r.stdout + r.stderr
    assert "REGRESSION kv crash" in r.stdout and "FAIL: recovery got worse in kv" in r.stdout
    r = _cli(base, tmp_path / "nothing")
    assert r.returncode == 2 and "nothing: no such file" in r.stderr
    out = tmp_path / "baseline" / "b.json"
    r = _cli("--trim", bad, "-o", out)
    assert r.returncode == 0, r.stderr
    assert _cli(out, bad).returncode == 0
    assert _cli(out, base).returncode == 0           # back to all recovered: better
