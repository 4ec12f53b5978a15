# Unit tests of the survivability analysis (reports/survival.py): Wilson
# intervals against published values, the table and the fail-stop split on
# hand-counted records, failure signatures, and timeline extraction.

import pytest

from faultinj.events import parse_recorded, schema_problem
from reports import survival as sv
from reports.tests import traces as T


# ---------------------------------------------------------------- Wilson

@pytest.mark.parametrize("k,n,lo,hi", [
    (0, 10, 0.0, 0.2775),
    (5, 10, 0.2366, 0.7634),
    (10, 10, 0.7225, 1.0),
    # Newcombe, Stat. Med. 17 (1998) 857-872, table I, method 3 (score)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0),
])
def test_wilson_known_values(k, n, lo, hi):
    got = sv.wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)


def test_wilson_edges_are_exact_and_inside():
    assert sv.wilson(0, 10)[0] == 0.0 and sv.wilson(10, 10)[1] == 1.0
    assert sv.wilson(0, 0) is None
    for n in (1, 2, 7, 50):
        for k in range(n + 1):
            lo, hi = sv.wilson(k, n)
            assert 0.0 <= lo <= k / n <= hi <= 1.0
    # symmetric: k successes is n - k failures
    lo, hi = sv.wilson(3, 17)
    assert sv.wilson(14, 17) == pytest.approx((1 - hi, 1 - lo))
    # a wider interval at 99 %
    assert sv.wilson(5, 10, z=2.5758)[0] < sv.wilson(5, 10)[0]
    with pytest.raises(ValueError):
        sv.wilson(11, 10)


def test_z95():
    assert sv.Z95 == pytest.approx(1.959964, abs=1e-6)


def test_share():
    s = sv.share(3, 4)
    assert s["k"] == 3 and s["n"] == 4 and s["p"] == 0.75
    assert (s["lo"], s["hi"]) == pytest.approx(sv.wilson(3, 4))
    assert sv.share(0, 0) == {"k": 0, "n": 0, "p": None, "lo": None, "hi": None}


# ---------------------------------------------------------------- record fields

def test_named_fault_sets_are_fault_types():
    """A fault type renamed in the contract cannot silently leave the
    fail-stop set (or the no-fault set) naming nothing."""
    from campaigns.expectations import FAULTS
    from faultinj import contract
    assert sv.FAIL_STOP_FAULTS <= set(contract.FAULT_TYPES[1:])
    assert sv.NO_FAULT <= set(FAULTS) - set(contract.FAULT_TYPES)


def test_fail_stop_set_comes_from_the_contract():
    """Which faults are fail-stop is a column of the contract's type lines
    (contract/guest_host.def), not a list kept here: the survival report
    uses the contract's set itself, and the contract's parser reads the
    column (a type marked failstop there is fail-stop here)."""
    from faultinj import contract
    assert sv.FAIL_STOP_FAULTS is contract.FAIL_STOP
    assert contract.FAIL_STOP == {"crash", "panic", "hang", "deadlock", "stale_ping", "null_ptr"}
    text = contract.DEF_TEXT.replace("stuck_loop  18 FI_STUCK_LOOP  auto         -       ",
                                     "stuck_loop  18 FI_STUCK_LOOP  auto         failstop")
    assert text != contract.DEF_TEXT
    c = contract.parse(text)
    assert {t.name for t in c.types if t.fail_stop} == contract.FAIL_STOP | {"stuck_loop"}


def test_synthetic_traces_fit_the_event_schema():
    for r in T.edfi_campaign():
        for line in r["events"]:
            e = parse_recorded(line, strict=True)
            assert schema_problem(e) is None, line


def test_was_activated_and_old_records():
    r = T.record("a", "kv", "crash", "recovered", T.recovered())
    assert sv.was_activated(r)
    assert not sv.was_activated({**r, "activated": False})
    assert not sv.was_activated({**r, "outcome": "not_activated", "activated": None})
    # records from before the field: the outcome decides
    old = {k: v for k, v in r.items() if k != "activated"}
    assert sv.was_activated(old)
    assert sv.was_activated({**old, "events": T._head(100), "outcome": "client_hung"})
    assert sv.was_activated({"id": "x", "outcome": "recovered"})
    assert not sv.was_activated({"id": "x", "outcome": "not_activated"})
    # a live update fires no fault, but the update is what is being tested
    assert sv.was_activated(T.record("u", "kv", "lu_ok", "recovered", T.live_update(),
                                     activated=False))


def test_policy_and_outcome_defaults():
    assert sv.policy_of({"policy": None}) == "default" == sv.policy_of({})
    assert sv.policy_of({"policy": "restart"}) == "restart"
    assert sv.outcome_of({"outcome": ""}) == "none" == sv.outcome_of({})


def test_is_failure():
    ok = T.record("a", "kv", "crash", "recovered", T.recovered())
    assert not sv.is_failure(ok)
    assert sv.is_failure({**ok, "ok": False})               # the harness said not ok
    halted = T.record("h", "kv", "init_fail", "halted", [], expected="halted")
    assert halted["ok"] and sv.is_failure(halted)           # expected, yet not survived
    assert not sv.is_failure(T.record("n", "pm", "crash", "not_activated", []))


# ---------------------------------------------------------------- table

def _recs():
    R = T.record
    return [
        R("1", "kv", "crash", "recovered", []), R("2", "kv", "crash", "recovered", []),
        R("3", "kv", "crash", "recovered", []), R("4", "kv", "crash", "client_hung", []),
        R("5", "kv", "crash", "not_activated", []),
        R("6", "kv", "crash", "given_up", [], policy="restart"),
        R("7", "echo", "null_ptr", "benign", []), R("8", "echo", "null_ptr", "wrong_answers", []),
        R("9", "kernel", "flip_branch", "kernel_panic", []),
        R("10", "kv", "flip_branch", "wrong_answers", []),
    ]


def test_survival_table_rows():
    t = sv.survival_table(_recs(), fault_order=("crash", "flip_branch", "null_ptr"))
    # only outcomes the activated records show, in the verdict's order
    assert t["outcomes"] == ["benign", "recovered", "wrong_answers", "client_hung",
                             "given_up", "kernel_panic"]
    keys = [(r["service"], r["fault"], r["policy"]) for r in t["rows"]]
    assert keys == [("echo", "null_ptr", "default"), ("kernel", "flip_branch", "default"),
                    ("kv", "crash", "default"), ("kv", "crash", "restart"),
                    ("kv", "flip_branch", "default")]
    kv = t["rows"][2]
    assert (kv["experiments"], kv["activated"], kv["not_activated"]) == (5, 4, 1)
    rec = kv["shares"]["recovered"]
    assert (rec["k"], rec["n"], rec["p"]) == (3, 4, 0.75)
    assert (rec["lo"], rec["hi"]) == pytest.approx(sv.wilson(3, 4))
    assert kv["shares"]["client_hung"]["k"] == 1
    assert kv["shares"]["benign"] == sv.share(0, 4)          # zero share, with its interval
    assert kv["survived"]["k"] == 3 and kv["survived"]["n"] == 4
    assert set(kv["shares"]) == set(t["outcomes"])           # every column in every row


def test_survival_table_rollups():
    t = sv.survival_table(_recs(), fault_order=("crash", "flip_branch", "null_ptr"))
    assert [r["fault"] for r in t["by_fault"]] == ["crash", "flip_branch", "null_ptr"]
    crash = t["by_fault"][0]
    assert (crash["experiments"], crash["activated"]) == (6, 5)
    assert crash["shares"]["given_up"]["k"] == 1 and crash["survived"]["k"] == 3
    flip = t["by_fault"][1]
    assert flip["survived"] == sv.share(0, 2)
    o = t["overall"]
    assert (o["experiments"], o["activated"], o["not_activated"]) == (10, 9, 1)
    assert o["survived"]["k"] == 4 and o["shares"]["wrong_answers"]["k"] == 2
    assert sum(s["k"] for s in o["shares"].values()) == 9


def test_live_updates_stay_out_of_the_all_faults_figures():
    rs = _recs() + [T.record("u", "kv", "lu_ok", "recovered", T.live_update(),
                             activated=False)]
    t = sv.survival_table(rs, fault_order=("crash", "lu_ok"))
    assert ("kv", "lu_ok", "default") in {(r["service"], r["fault"], r["policy"])
                                          for r in t["rows"]}
    lu = [r for r in t["by_fault"] if r["fault"] == "lu_ok"][0]
    assert lu["activated"] == 1 and lu["survived"]["k"] == 1
    assert t["overall"] == sv.survival_table(_recs())["overall"]
    assert sv.failstop_split(rs)["all"] == sv.failstop_split(_recs())["all"]


def test_survival_table_unknown_fault_and_outcome_and_empty():
    rs = [T.record("1", "kv", "zz_new", "failed", []), T.record("2", "kv", "crash", "weird", [])]
    t = sv.survival_table(rs, fault_order=("crash",))
    assert [r["fault"] for r in t["by_fault"]] == ["crash", "zz_new"]
    assert t["outcomes"] == ["failed", "weird"]
    e = sv.survival_table([])
    assert e["rows"] == [] and e["by_fault"] == [] and e["outcomes"] == []
    assert e["overall"]["experiments"] == 0 and e["overall"]["survived"]["p"] is None


def test_failstop_split():
    s = sv.failstop_split(_recs())
    assert "null_ptr" in s["fail_stop_faults"] and "flip_branch" not in s["fail_stop_faults"]
    assert set(s["fail_stop_faults"]) == set(sv.FAIL_STOP_FAULTS)
    fs, al = s["fail_stop"], s["all"]
    # fail-stop: kv crash x6 (one not activated) and echo null_ptr x2
    assert (fs["experiments"], fs["activated"]) == (8, 7)
    assert fs["survived"]["k"] == 4 and fs["shares"]["wrong_answers"]["k"] == 1
    assert (al["experiments"], al["activated"]) == (10, 9)
    assert al["shares"]["kernel_panic"]["k"] == 1 and fs["shares"]["kernel_panic"]["k"] == 0
    assert s["outcomes"] == sv.survival_table(_recs())["outcomes"]


# ---------------------------------------------------------------- signatures

def test_site_function_fallbacks():
    assert sv.site_function({"site_function": "kv_get", "site": "@8049a1c"}) == "kv_get"
    assert sv.site_function({"site": "kv.put"}) == "kv.put"
    # the default site, named only by the event of the fault firing: the
    # verdict's evidence keeps it, the trace is not read again
    r = T.record("d", "kv", "crash", "recovered", T.recovered(site="sef.init"))
    assert r["site"] is None and r["evidence"]["site"] == "sef.init"
    assert sv.site_function(r) == "sef.init"
    assert sv.site_function({**r, "evidence": None}) == "(default site)"
    assert sv.site_function({"site": None, "events": T.recovered(site="sef.init")}) == \
        "(default site)"
    assert sv.site_function({}) == "(default site)"


def test_signatures_use_the_verdicts_divergence():
    """The divergence is the evidence's, whatever the trace would suggest
    to someone reading it with other rules."""
    r = T.record("w", "kv", "flip_branch", "wrong_answers", T.wrong_answers(), site="@1")
    assert sv.divergence(r)[0] == "wl_wrong"
    r["evidence"] = dict(r["evidence"], divergence={"label": "made_up", "event": "#EV t=1 x"})
    assert sv.signature(r) == ("wrong_answers", "made_up", "@1")
    assert sv.failure_signatures([r])[0]["example_event"] == "#EV t=1 x"


def test_failure_signatures():
    sigs = sv.failure_signatures(T.edfi_campaign())
    keyed = {(s["outcome"], s["event"], s["function"]): s for s in sigs}
    # the three flips at the same site in kv_get share one signature; kv_put's is another
    top = sigs[0]
    assert (top["outcome"], top["event"], top["function"]) == ("wrong_answers", "wl_wrong",
                                                               "kv_get")
    assert top["count"] == 3 and len(top["examples"]) == 3 and top["faults"] == ["flip_branch"]
    assert top["example_event"].startswith("#EV ") and "ev=wl_wrong" in top["example_event"]
    assert keyed[("wrong_answers", "wl_wrong", "kv_put")]["count"] == 1
    assert keyed[("kernel_panic", "panic", "do_ipc")]["services"] == ["kernel"]
    assert keyed[("client_hung", "stuck", "echo_reply")]["count"] == 1
    assert keyed[("given_up", "escalate", "kv.put")]["count"] == 1
    assert keyed[("recovered_state_lost", "sc_probe:lost", "kv_put")]["count"] == 1
    halted = keyed[("halted", "init_result:failed", "sef.init")]
    assert halted["expected"] == 1 and halted["count"] == 1
    ids = {i for s in sigs for i in s["ids"]}
    # survivors and not-activated runs are no failures
    assert not ids & {"kv-crash-nth:1", "ds-skip_insn-site=@8050100-nth:1",
                      "pm-corrupt_int-site=@8051000-nth:5", "kv-lu_ok-nth:1",
                      "kernel-error-site=kipc.send-nth:1"}
    counts = [s["count"] for s in sigs]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) == 9


def test_failure_signatures_examples_cap_and_not_ok():
    rs = [T.record(f"w{i}", "kv", "corrupt_int", "wrong_answers", T.wrong_answers(),
                   site="@1", site_function="f") for i in range(5)]
    rs.append(T.record("r", "kv", "crash", "recovered", T.recovered(), ok=False))
    sigs = sv.failure_signatures(rs, examples=2)
    assert sigs[0]["examples"] == ["w0", "w1"] and sigs[0]["ids"] == [f"w{i}" for i in range(5)]
    assert sigs[1]["outcome"] == "recovered" and sigs[1]["event"] == "none"


def test_signatures_of_old_records_without_events():
    rs = [{"id": "a", "service": "kv", "fault": "crash", "outcome": "failed", "ok": False}]
    sigs = sv.failure_signatures(rs)
    assert [(s["outcome"], s["event"], s["function"]) for s in sigs] == [
        ("failed", "none", "(default site)")]
    assert sigs[0]["example_event"] is None and sigs[0]["no_evidence"] == 1


def test_old_records_with_a_trace_but_no_evidence():
    """A journal from before the verdict kept its evidence: its trace is not
    read, so no divergence and no marks, and the timeline says why."""
    r = T.record("old", "kv", "flip_branch", "wrong_answers", T.wrong_answers(),
                 site="@8049a1c", evidence=None)
    assert sv.signature(r) == ("wrong_answers", "none", "@8049a1c")
    tl = sv.timeline(r)
    assert tl["marks"] == [] and tl["t0"] is None and tl["note"] == sv.NO_EVIDENCE
    # junk where the evidence should be is no evidence either, and no crash
    for junk in ("text", [], {"marks": "x", "origin": 5, "divergence": [1]},
                 {"origin": {"t": "soon"}, "marks": [{"lane": "nowhere", "dt": 1}]}):
        tl = sv.timeline({**r, "evidence": junk})
        assert tl["marks"] == [] and tl["end"] is None
        assert sv.divergence({**r, "evidence": junk}) == ("none", None)
    with_ev = sv.timeline(T.record("new", "kv", "flip_branch", "wrong_answers",
                                   T.wrong_answers()))
    assert with_ev["note"] is None and with_ev["marks"]


# ---------------------------------------------------------------- timelines

def test_timeline_of_a_recovered_crash():
    r = T.record("a", "kv", "crash", "recovered", T.recovered(t0=21000),
                 detect_virtual_us=30, recover_virtual_us=900)
    tl = sv.timeline(r)
    assert tl["t0"] == 21000 and tl["origin"] == "fi_fired" and tl["site"] == "kv.put"
    got = [(m["lane"], m["dt"], m["label"], m["bad"]) for m in tl["marks"]]
    assert got == [("fault", 0, "crash fired at kv.put", False),
                   ("detected", 30, "died (signal)", False),
                   ("restarted", 700, "restarted (reset)", False),
                   ("serving", 900, "init done", False),
                   ("client", 9000, "rebind", False),
                   ("client", 10200, "1 retried", False)]
    assert tl["marks"][1]["event"].startswith("#EV t=21030 who=rs ev=died")
    assert tl["end"] == {"dt": 700017, "kind": "off", "how": "halt"}
    assert (tl["detect_us"], tl["recover_us"]) == (30, 900)
    assert [m["lane"] for m in tl["marks"]] == sorted((m["lane"] for m in tl["marks"]),
                                                      key=sv.LANES.index)


def test_timeline_bad_marks():
    tl = sv.timeline(T.record("w", "kv", "flip_branch", "wrong_answers", T.wrong_answers()))
    assert [(m["lane"], m["label"], m["bad"]) for m in tl["marks"]] == [
        ("fault", "flip_branch fired at @8049a1c", False),
        ("fault", "effect: branch", False),
        ("client", "wrong answer", True),
        ("client", "2 wrong", True)]
    tl = sv.timeline(T.record("g", "kv", "crash", "given_up", T.given_up()))
    lanes = [(m["lane"], m["label"]) for m in tl["marks"] if m["bad"]]
    assert ("restarted", "escalate to giveup") in lanes and ("restarted", "given up") in lanes
    assert ("client", "probe kv: down") in lanes
    # RS saw kv die four times; the verdict's detection is the first, and
    # that is the one drawn (the restarts show the rest)
    assert [m["dt"] for m in tl["marks"] if m["lane"] == "detected"] == [30]
    assert sum(m["lane"] == "restarted" for m in tl["marks"]) == 5
    tl = sv.timeline(T.record("p", "kernel", "corrupt_ptr", "kernel_panic", T.kernel_panic()))
    assert ("detected", 'kernel panic: page fault in kernel', True) in [
        (m["lane"], m["label"], m["bad"]) for m in tl["marks"]]
    assert tl["end"]["kind"] == "off"


def test_timeline_of_an_aborted_update():
    """lu_timeout: RS aborts the update, and the old version goes on serving."""
    lines = T.live_update(t0=40000)
    lines = [x for x in lines if "update_done" not in x and "sef_lu_ready" not in x]
    lines.insert(3, T.fired(40010, "kv", "lu_timeout", "sef.prepare"))
    lines.insert(4, T.ev(140000, "rs", "update_aborted", label="kv", why="timeout"))
    tl = sv.timeline(T.record("t", "kv", "lu_timeout", "recovered", lines))
    assert tl["origin"] == "fi_fired"
    assert [(m["lane"], m["dt"], m["label"]) for m in tl["marks"]] == [
        ("fault", 0, "lu_timeout fired at sef.prepare"),
        ("detected", 99990, "update_aborted (timeout)"),
        ("serving", 99990, "old version serving")]


def test_timeline_other_services_are_not_marked():
    lines = T.recovered(svc="kv") + [T.ev(800000, "rs", "died", label="echo", ep=8,
                                          sigmap="0x800", how="signal")]
    tl = sv.timeline(T.record("a", "kv", "crash", "recovered", lines))
    assert not any("echo" in m["event"] for m in tl["marks"])


def test_timeline_live_update_and_no_events():
    tl = sv.timeline(T.record("u", "kv", "lu_ok", "recovered", T.live_update(t0=40000)))
    assert tl["origin"] == "update_requested" and tl["t0"] == 40000
    # the verdict times a plain update from its request: detected at once
    assert [(m["lane"], m["dt"]) for m in tl["marks"]] == [("fault", 0), ("detected", 0),
                                                           ("serving", 2500)]
    tl = sv.timeline({"id": "x", "outcome": "recovered"})
    assert tl["t0"] is None and tl["marks"] == [] and tl["end"] is None
    assert tl["recover_us"] is None
    # an untimed line is left out
    tl = sv.timeline({"id": "y", "events": ["#EV who=rs ev=died label=kv ep=7 how=signal"],
                      "recover_virtual_us": float("nan")})
    assert tl["t0"] is None and tl["recover_us"] is None


def test_pick_timelines_distinct_signatures_first():
    rs = T.edfi_campaign()
    sigs = sv.failure_signatures(rs)
    picked = sv.pick_timelines(rs, sigs, cap=len(sigs))
    failed = [p for p in picked if p["reasons"][0].startswith("failed")]
    # one per signature: the three kv_get flips give only their first
    assert len(failed) == len(sigs)
    assert [p["record"]["id"] for p in failed] == [s["ids"][0] for s in sigs]
    picked = sv.pick_timelines(rs, sigs, cap=20)
    assert len([p for p in picked if p["reasons"][0].startswith("failed")]) == 9
    # the second of the top signature comes only after every first
    ids = [p["record"]["id"] for p in picked]
    assert ids.index("kv-flip_branch-site=@8049a1c-nth:2") >= len(sigs)


def test_pick_timelines_slowest():
    rs = T.edfi_campaign()
    picked = sv.pick_timelines(rs, [], cap=20, slowest=5)
    ids = [p["record"]["id"] for p in picked]
    assert ids[0] == "kv-stuck_loop-site=@8049d00-nth:1"           # 150.9 ms
    assert ids[1] == "kv-null_ptr-site=@8049a20-nth:1" and len(ids) == 5
    assert all(p["reasons"][0].startswith("slow: back after") for p in picked)
    # a slow failure is drawn once, with both reasons
    rs.append(T.record("slow-hang", "echo", "null_ptr", "client_hung", T.hung(),
                       recover_virtual_us=9e6))
    picked = sv.pick_timelines(rs, sv.failure_signatures(rs), cap=20, slowest=5)
    both = [p for p in picked if p["record"]["id"] == "slow-hang"]
    assert len(both) == 1 and len(both[0]["reasons"]) == 2
    assert len({p["record"]["id"] for p in picked}) == len(picked)


def test_pick_timelines_cap():
    rs = [T.record(f"w{i}", "kv", "corrupt_int", "wrong_answers", T.wrong_answers(),
                   site_function=f"f{i % 3}") for i in range(30)]
    picked = sv.pick_timelines(rs, sv.failure_signatures(rs), cap=20, slowest=5)
    assert len(picked) == 20
    assert {p["record"]["site_function"] for p in picked[:3]} == {"f0", "f1", "f2"}


def test_reports_read_no_trace():
    """reports/ renders the verdict's evidence and never parses a trace
    itself (only this file's schema check of the synthetic lines does)."""
    import pathlib
    import re
    root = pathlib.Path(sv.__file__).resolve().parent
    bad = re.compile(r"parse_recorded|faultinj\.events|\bEvent\b|verdict import .*DETECT")
    hits = [f"{p.relative_to(root)}:{n}" for p in sorted(root.rglob("*.py"))
            if p.name != "test_survival.py"
            for n, line in enumerate(p.read_text().splitlines(), 1) if bad.search(line)]
    assert hits == []
