# The survivability part of the report (reports/build.py with
# reports/survival.py and reports/timeline.py): write_report on a synthetic
# campaign with EDFI-style faults and many outcome classes writes the
# survivability table, the fail-stop split, the failure signatures and the
# timeline SVGs, into index.html and results.json, with links that resolve;
# an old campaign (fail-stop faults, records without the new fields) still
# builds.

import json
import os
import xml.etree.ElementTree as ET

import pytest

from reports import build, survival
from reports.build import write_report
from reports.tests import traces as T
from reports.tests.test_build import Page, synthetic

SVG = "{http://www.w3.org/2000/svg}"


class IdPage(Page):
    """Page, plus every element id."""

    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        super().handle_starttag(tag, attrs)


def parse(path):
    p = IdPage()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


def table(page, id_):
    ts = [t for t in page.tables if t["id"] == id_]
    assert len(ts) == 1, id_
    return [[c["text"].strip() for c in row] for row in ts[0]["rows"]]


@pytest.fixture
def edfi(tmp_path):
    out = tmp_path / "out"
    paths = write_report(T.edfi_campaign(), str(out), "edfi")
    return out, paths, parse(out / "index.html")


def test_survivability_table(edfi):
    out, _, page = edfi
    rows = table(page, "survival-table")
    header = rows[0]
    assert header[:6] == ["component", "fault", "policy", "experiments", "not activated",
                          "survived"]
    # outcome columns in the report's order, only those that occur
    assert header[6:] == ["recovered", "benign", "halted", "recovered_state_lost",
                          "wrong_answers", "client_hung", "given_up", "kernel_panic"]
    body = {tuple(r[:3]): r[3:] for r in rows[1:]}
    kv_crash = dict(zip(header[3:], body[("kv", "crash", "default")]))
    assert kv_crash["experiments"] == "4" and kv_crash["not activated"] == "0"
    assert kv_crash["survived"] == "100 %51–100"            # share, then its interval
    assert kv_crash["recovered"] == "100 %51–100" and kv_crash["benign"] == "0 %0–49"
    assert body[("kv", "crash", "restart")][3 + 6] == "100 %21–100"   # given_up
    flips = dict(zip(header[3:], body[("kv", "flip_branch", "default")]))
    assert flips["wrong_answers"] == "100 %51–100" and flips["survived"] == "0 %0–49"
    pm = dict(zip(header[3:], body[("pm", "corrupt_int", "default")]))
    assert pm["not activated"] == "1" and pm["survived"] == "–"
    assert ("kernel", "corrupt_ptr", "default") in body and ("kernel", "error", "default") in body


def test_rollup_and_overall(edfi):
    _, _, page = edfi
    rows = table(page, "survival-by-fault-table")
    names = [r[0] for r in rows[1:]]
    assert names[0] == "crash" and names[-1] == "all faults"
    assert {"flip_branch", "null_ptr", "corrupt_ptr", "no_store", "stuck_loop", "skip_insn",
            "corrupt_int", "error", "lu_ok"} <= set(names)
    # every fault: the live update (lu_ok) keeps its row, but is no fault
    overall = rows[-1]
    assert overall[1:3] == ["18", "1"]
    assert overall[3] == "47 %26–69"                         # 8 of 17 survived
    lo, hi = survival.wilson(8, 17)
    assert (round(100 * lo), round(100 * hi)) == (26, 69)


def test_failstop_split_side_by_side(edfi):
    _, _, page = edfi
    rows = table(page, "failstop-table")
    assert rows[0] == ["", "fail-stop faults", "all faults"]
    by = {r[0]: r[1:] for r in rows[1:]}
    assert by["experiments"] == ["7", "18"]
    assert by["survived"] == ["71 %36–92", "47 %26–69"]      # 5/7 and 8/17
    assert by["wrong_answers"][0] == "0 %0–35" and by["kernel_panic"][1] == "5.9 %1.0–27"
    text = "".join(page.text)
    assert "crash, deadlock, hang, null_ptr, panic, stale_ping" in text


def test_signature_list(edfi):
    _, paths, page = edfi
    rows = table(page, "signatures-table")
    assert rows[0][:4] == ["count", "outcome", "first divergent event", "site's function"]
    body = rows[1:]
    assert len(body) == 7
    first = body[0]
    assert first[0] == "3" and first[1] == "wrong_answers" and first[3] == "kv_get"
    assert first[2].startswith("wl_wrong#EV t=21400 who=scenario ev=wl_wrong")
    assert first[7].count("kv-flip_branch-site=@8049a1c-nth:") == 3
    assert [int(r[0]) for r in body] == sorted((int(r[0]) for r in body), reverse=True)
    outcomes = {r[1] for r in body}
    assert outcomes == {"wrong_answers", "halted", "recovered_state_lost", "client_hung",
                        "given_up", "kernel_panic"}
    halted = [r for r in body if r[1] == "halted"][0]
    assert halted[6] == "1" and halted[2].startswith("init_result:failed")


def test_timeline_files_and_links(edfi):
    out, paths, page = edfi
    files = [os.path.basename(p) for p in paths["timelines"]]
    # 9 failures (7 signatures) and the 5 slowest, none of them failed
    assert len(files) == 14 == len(set(files))
    for p in paths["timelines"]:
        root = ET.parse(p).getroot()
        assert root.tag == SVG + "svg" and root.find(SVG + "title").text.startswith("timeline of")
    imgs = [i["src"] for i in page.imgs if i["src"].startswith(build.TIMELINE_PREFIX)]
    assert sorted(imgs) == sorted(files)
    assert set(files) <= set(page.links)
    # every local link resolves: files on disk, anchors in the page
    for href in page.links:
        if href.startswith("#"):
            assert href[1:] in page.ids, href
        else:
            assert (out / href).is_file(), href
    # each failure's timeline is linked from the signature list and the failed table
    assert {f"#tl-{i}" for i in range(1, 10)} <= set(page.links)
    # the failures' timelines come first, each signature's first example before others
    text = "".join(page.text)
    assert text.index("kv-flip_branch-site=@8049a1c-nth:1: wrong_answers") < \
        text.index("kernel-corrupt_ptr-site=@c0104a2f-nth:1: kernel_panic") < \
        text.index("kv-flip_branch-site=@8049a1c-nth:2: wrong_answers")


def test_results_json_summary(edfi):
    out, paths, _ = edfi
    doc = json.loads((out / "results.json").read_text())
    s = doc["summary"]["survival"]
    assert set(s) >= {"table", "fail_stop_split", "signatures", "timelines"}
    assert s["table"]["overall"]["survived"]["k"] == 8
    assert s["table"]["overall"]["survived"]["n"] == 17
    assert s["fail_stop_split"]["fail_stop"]["experiments"] == 7
    assert s["signatures"][0]["count"] == 3 and len(s["signatures"][0]["examples"]) == 3
    assert [t["file"] for t in s["timelines"]] == [os.path.basename(p)
                                                   for p in paths["timelines"]]
    assert s["timelines"][0]["reasons"][0].startswith("failed: wrong_answers")


def test_old_campaign_still_builds(tmp_path):
    """test_build's campaign: fail-stop-era faults, records without policy,
    activated, site_function, some without any events or keys at all."""
    paths = write_report(synthetic(), str(tmp_path), "old")
    page = parse(tmp_path / "index.html")
    rows = table(page, "survival-table")
    assert ("tty", "delay", "default") in {tuple(r[:3]) for r in rows[1:]}
    fs = {r[0]: r[1:] for r in table(page, "failstop-table")[1:]}
    assert fs["experiments"] == ["18", str(len(synthetic()))]
    doc = json.loads((tmp_path / "results.json").read_text())
    sigs = doc["summary"]["survival"]["signatures"]
    # the not-activated drop is no failure; the rest are, by outcome or ok
    ids = {i for s in sigs for i in s["ids"]}
    assert ids == {"echo-hang-site=x-nth:1", "kv-init_fail-nth:1",
                   "kv-init_fail-nth:1-mode=dynamic", "ds-error-nth:1"}
    assert all(os.path.isfile(p) for p in paths["timelines"])
    # no evidence in these records: said on the page and in each picture,
    # not passed off as a trace where nothing happened
    assert all(s["no_evidence"] == s["count"] for s in sigs)
    text = "".join(page.text)
    assert "without evidence (journaled before the verdict kept it)" in text
    assert text.count(survival.NO_EVIDENCE) == len(paths["timelines"]) > 0
    for p in paths["timelines"]:
        assert survival.NO_EVIDENCE[:40] in open(p, encoding="utf-8").read()
    write_report([], str(tmp_path / "empty"), "empty")
    text = (tmp_path / "empty" / "index.html").read_text()
    assert "No failures and no timed recoveries to draw." in text


def test_rebuild_removes_stale_timelines(tmp_path):
    a = write_report(T.edfi_campaign(), str(tmp_path), "c")["timelines"]
    b = write_report(T.edfi_campaign()[:4], str(tmp_path), "c")["timelines"]
    assert len(b) == 4
    left = {f for f in os.listdir(tmp_path) if f.startswith(build.TIMELINE_PREFIX)}
    assert left == {os.path.basename(p) for p in b}
    gone = set(a) - set(b)
    assert gone and not any(os.path.exists(p) for p in gone)


def test_timeline_files_are_distinct_for_ids_that_look_alike():
    assert build.timeline_file("kv-a=b") != build.timeline_file("kv-a_b")
    assert build.timeline_file("kv-a=b").startswith("timeline-kv-a_b-")
