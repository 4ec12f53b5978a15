# Unit tests of the report builder (reports/build.py) and its command line
# (python3 -m reports) on synthetic campaign results.

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from campaigns.journal import Journal
from reports import __main__ as cli
from reports.build import write_report

SVG = "{http://www.w3.org/2000/svg}"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _res(id_, service, fault, outcome, expected="recovered", ok=None, t=1.0, **kw):
    r = {
        "id": id_, "service": service, "fault": fault, "site": f"{service}.site",
        "trigger": "nth:1", "expected": expected, "outcome": outcome,
        "ok": (outcome == expected) if ok is None else ok,
        "detect_virtual_us": 5000.0 * t, "recover_virtual_us": 12000.0 * t,
        "detect_host_s": 0.01 * t, "recover_host_s": 0.05 * t, "host_seconds": 2.0 * t,
        "events": [f"#EV t={int(1000 * t)} who=rs ev=restart label={service}"],
        "replay": f"make campaign ONLY={id_}", "error": None,
    }
    r.update(kw)
    return r


def synthetic():
    rs = []
    for i in range(12):
        rs.append(_res(f"kv-crash-nth:{i + 1}", "kv", "crash", "recovered", t=1 + i / 3))
    for i in range(5):
        rs.append(_res(f"echo-hang-nth:{i + 1}", "echo", "hang", "recovered", t=3 + i))
    rs.append(_res("echo-hang-site=x-nth:1", "echo", "hang", "failed", t=9,
                   error="system hung", replay="make campaign ONLY='echo-hang-site=x-nth:1'",
                   events=["#EV t=1 ev=fault", "garbage \x01\x02 from serial", "<b>not html</b>"]))
    rs.append(_res("kv-init_fail-nth:1", "kv", "init_fail", "halted", expected="halted"))
    rs.append(_res("kv-init_fail-nth:1-mode=dynamic", "kv", "init_fail", "halted",
                   expected="torn_down", t=0.5))
    rs.append(_res("ds-drop-nth:1", "ds", "drop", "not_activated", t=0.2,
                   detect_virtual_us=None, recover_virtual_us=None,
                   detect_host_s=None, recover_host_s=None))
    # outcome as expected but the harness says not ok (e.g. wrong workload answers)
    rs.append(_res("ds-error-nth:1", "ds", "error", "recovered", ok=False, error="wrong answer"))
    # all timings missing, and a fault type with no timing data at all
    rs.append(_res("pm-bitflip-nth:1", "pm", "bitflip", "recovered", detect_virtual_us=None,
                   recover_virtual_us=None, detect_host_s=None, recover_host_s=None,
                   host_seconds=None, events=None))
    # keys missing entirely
    rs.append({"id": "tty-delay-nth:1", "service": "tty", "fault": "delay",
               "expected": "recovered", "outcome": "recovered", "ok": True})
    return rs


FAILED_IDS = {"echo-hang-site=x-nth:1", "kv-init_fail-nth:1-mode=dynamic",
              "ds-drop-nth:1", "ds-error-nth:1"}


class Page(HTMLParser):
    """Collects what the tests look at in index.html."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.imgs, self.links, self.text = [], [], [], []
        self.tags = []
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "table":
            self._table = {"id": a.get("id"), "class": a.get("class"), "rows": []}
            self.tables.append(self._table)
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = {"class": a.get("class"), "text": ""}
            self._table["rows"][-1].append(self._cell)
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "a":
            self.links.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell["text"] += data


def parse_page(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    return p


COVERAGE = {"kernel": {"lines": 71.25, "branches": 52.0},
            "rs": {"lines": 88.0, "branches": None},
            "sef": {"lines": 93.5, "branches": 80.1},
            "html": "coverage/index.html"}


@pytest.fixture
def report(tmp_path):
    out = tmp_path / "out"
    paths = write_report(synthetic(), str(out), "unit-campaign", coverage=COVERAGE)
    return out, paths


def test_files_exist(report):
    out, paths = report
    for name in ("results.json", "junit.xml", "index.html"):
        assert (out / name).is_file()
    assert paths["html"] == str(out / "index.html")
    assert paths["plots"] and all(os.path.isfile(p) for p in paths["plots"])
    for p in paths["plots"]:
        assert p.endswith(".svg")
        assert ET.parse(p).getroot().tag == SVG + "svg"


def test_results_json(report):
    out, _ = report
    doc = json.loads((out / "results.json").read_text())
    assert doc["campaign"] == "unit-campaign"
    assert doc["summary"]["total"] == len(synthetic())
    assert doc["summary"]["failed"] == len(FAILED_IDS)
    assert doc["summary"]["passed"] == len(synthetic()) - len(FAILED_IDS)
    assert doc["summary"]["by_outcome"]["recovered"] == 12 + 5 + 3
    assert doc["coverage"]["sef"]["lines"] == 93.5
    ids = [r["id"] for r in doc["results"]]
    assert ids == [r["id"] for r in synthetic()]
    tty = doc["results"][-1]
    assert tty["events"] == [] and tty["recover_virtual_us"] is None


def test_junit(report):
    out, _ = report
    root = ET.parse(out / "junit.xml").getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    assert len(cases) == len(synthetic()) == int(suite.get("tests"))
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == FAILED_IDS
    assert int(suite.get("failures")) == len(FAILED_IDS) == int(root.get("failures"))
    by_name = {c.get("name"): c for c in cases}
    f = by_name["kv-init_fail-nth:1-mode=dynamic"].find("failure")
    assert "expected torn_down, got halted" in f.get("message")
    f = by_name["echo-hang-site=x-nth:1"].find("failure")
    assert "system hung" in f.get("message")
    out_text = by_name["echo-hang-site=x-nth:1"].find("system-out").text
    assert "replay: make campaign ONLY='echo-hang-site=x-nth:1'" in out_text
    assert "<b>not html</b>" in out_text and "\\x01" in out_text
    assert "as expected, but the result is not ok" in by_name["ds-error-nth:1"].find("failure").get("message")
    assert float(by_name["kv-crash-nth:1"].get("time")) == pytest.approx(2.0)


def test_index_html_matrix(report):
    out, _ = report
    page = parse_page(out / "index.html")
    matrix = [t for t in page.tables if t["id"] == "matrix"]
    assert len(matrix) == 1
    rows = matrix[0]["rows"]
    header = [c["text"].strip() for c in rows[0]]
    assert header[1:] == ["crash", "hang", "init_fail", "error", "delay", "drop", "bitflip"]
    body = {r[0]["text"].strip(): r[1:] for r in rows[1:]}
    assert sorted(body) == ["ds", "echo", "kv", "pm", "tty"]
    kv = dict(zip(header[1:], body["kv"]))
    assert "recovered 12" in kv["crash"]["text"] and kv["crash"]["class"] == "ok"
    assert "halted 2" in kv["init_fail"]["text"] and kv["init_fail"]["class"] == "mixed"
    echo = dict(zip(header[1:], body["echo"]))
    assert "recovered 5" in echo["hang"]["text"] and "failed 1" in echo["hang"]["text"]
    assert echo["hang"]["class"] == "mixed"
    ds = dict(zip(header[1:], body["ds"]))
    assert ds["drop"]["class"] == "bad" and "not_activated 1" in ds["drop"]["text"]
    assert ds["crash"]["class"] == "empty"


def test_index_html_plots(report):
    out, paths = report
    page = parse_page(out / "index.html")
    srcs = [i["src"] for i in page.imgs if i["src"].startswith("recovery-")]
    assert srcs
    for s in srcs:
        assert not os.path.isabs(s) and (out / s).is_file()
    assert {"recovery-crash.svg", "recovery-hang.svg", "recovery-overview.svg"} <= set(srcs)
    assert sorted(os.path.join(str(out), s) for s in srcs) == sorted(paths["plots"])
    # bitflip has no timing data at all: no plot, but a note
    assert "recovery-bitflip.svg" not in srcs and not (out / "recovery-bitflip.svg").exists()
    assert "No timing data (1 experiments)." in "".join(page.text)


def test_index_html_failed_and_slowest(report):
    out, _ = report
    page = parse_page(out / "index.html")
    text = "".join(page.text)
    failed = [t for t in page.tables if t["class"] == "failed"][0]
    listed = {r[0]["text"].strip() for r in failed["rows"][1:] if len(r) == 5}
    assert listed == FAILED_IDS
    by_id = {r["id"]: r for r in synthetic()}
    for i in FAILED_IDS:
        assert by_id[i]["replay"] in text
    slow = [t for t in page.tables if t["class"] == "slowest"][0]
    ids = [r[0]["text"].strip() for r in slow["rows"][1:]]
    assert len(ids) == 10
    assert ids[0] == "echo-hang-site=x-nth:1"  # host_seconds 18
    assert "pm-bitflip-nth:1" not in ids and "tty-delay-nth:1" not in ids
    # event lines are shown as text, never as markup
    assert "b" not in page.tags and "<b>not html</b>" in text


def test_index_html_coverage(report):
    out, _ = report
    page = parse_page(out / "index.html")
    assert "coverage/index.html" in page.links
    cov = [t for t in page.tables if t["class"] == "coverage"][0]
    rows = {r[0]["text"]: [c["text"] for c in r[1:]] for r in cov["rows"][1:]}
    assert set(rows) == {"kernel", "rs", "sef"}
    assert rows["kernel"][0].strip() == "71.2 %" or rows["kernel"][0].strip() == "71.3 %"
    assert rows["rs"][2].strip() == "–"


def test_no_coverage_section_without_coverage(tmp_path):
    write_report(synthetic(), str(tmp_path), "c")
    page = parse_page(tmp_path / "index.html")
    assert not any(t["class"] == "coverage" for t in page.tables)
    assert "coverage/index.html" not in page.links


def test_all_timings_missing_and_empty(tmp_path):
    rs = [_res(f"kv-crash-nth:{i}", "kv", "crash", "recovered", detect_virtual_us=None,
               recover_virtual_us=None, detect_host_s=None, recover_host_s=None,
               host_seconds=None) for i in range(3)]
    rs[0]["recover_virtual_us"] = "junk"
    rs[1]["detect_host_s"] = float("nan")
    paths = write_report(rs, str(tmp_path / "a"), "c")
    assert paths["plots"] == []
    assert (tmp_path / "a" / "index.html").is_file()
    paths = write_report([], str(tmp_path / "b"), "empty")
    root = ET.parse(paths["junit"]).getroot()
    assert root.find("testsuite").get("tests") == "0"
    assert "No experiments." in (tmp_path / "b" / "index.html").read_text()


def test_forged_lines_are_counted_in_the_summary(tmp_path):
    """User output that looked like an event (runner's `forged`) is said so,
    apart from the events; a campaign without any shows no such row."""
    rs = synthetic()
    rs[0]["forged"], rs[0]["forged_lines"] = 2, ["#EV t=1 who=rs ev=ready", "KERNEL PANIC: x"]
    rs[1]["forged"] = "junk"
    write_report(rs, str(tmp_path / "a"), "c")
    doc = json.loads((tmp_path / "a" / "results.json").read_text())
    assert doc["summary"]["forged"] == 2
    assert doc["results"][0]["events"] == rs[0]["events"]
    assert "looked like an event" in (tmp_path / "a" / "index.html").read_text()
    write_report(synthetic(), str(tmp_path / "b"), "c")
    assert "looked like an event" not in (tmp_path / "b" / "index.html").read_text()


def test_runs_with_an_incomplete_trace_are_named(tmp_path):
    """A run whose trace the host's event stream did not keep whole (its
    caps) is named in the summary with what was lost; none: no row."""
    rs = synthetic()
    rs[0]["stream_notes"] = ["dropped 7 ping events over the cap of 20000 a kind"]
    write_report(rs, str(tmp_path / "a"), "c")
    doc = json.loads((tmp_path / "a" / "results.json").read_text())
    assert doc["summary"]["incomplete"] == [{"id": rs[0]["id"], "notes": rs[0]["stream_notes"]}]
    html = (tmp_path / "a" / "index.html").read_text()
    assert "did not keep whole" in html and "dropped 7 ping events" in html
    write_report(synthetic(), str(tmp_path / "b"), "c")
    assert "did not keep whole" not in (tmp_path / "b" / "index.html").read_text()


def test_partial_timings_plot(tmp_path):
    rs = [_res("kv-crash-nth:1", "kv", "crash", "recovered", detect_host_s=None,
               recover_host_s=None)]
    paths = write_report(rs, str(tmp_path), "c")
    assert [os.path.basename(p) for p in paths["plots"]] == ["recovery-crash.svg"]
    # the host-time panel has no value at all: each of its groups says so
    text = [t.text for t in ET.parse(paths["plots"][0]).getroot().iter(SVG + "text")]
    assert text.count("no data") == 2


def test_rebuild_removes_stale_plots(tmp_path):
    write_report(synthetic(), str(tmp_path), "c")
    assert (tmp_path / "recovery-hang.svg").exists()
    # a report from the matplotlib days left PNGs behind
    (tmp_path / "recovery-drop.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write_report([r for r in synthetic() if r["fault"] != "hang"], str(tmp_path), "c")
    assert not (tmp_path / "recovery-hang.svg").exists()
    assert not (tmp_path / "recovery-drop.png").exists()
    assert (tmp_path / "recovery-crash.svg").exists()


def test_svg_plot_content(tmp_path):
    # a fault name with markup in it: escaped in the SVG, intact once parsed
    odd = 'x<&>"y'
    rs = [_res(f"kv-{odd}-nth:{i}", "kv", odd, "recovered", t=1 + i) for i in range(4)]
    rs[3]["detect_host_s"] = None
    rs += [_res(f"kv-crash-nth:{i}", "kv", "crash", "recovered", t=1 + i / 2) for i in range(3)]
    paths = write_report(rs, str(tmp_path), "c")
    names = sorted(os.path.basename(p) for p in paths["plots"])
    assert names == ["recovery-crash.svg", "recovery-overview.svg", "recovery-x____y.svg"]
    path = tmp_path / "recovery-x____y.svg"
    raw = path.read_text(encoding="utf-8")
    assert "x&lt;&amp;&gt;" in raw and "x<&" not in raw
    root = ET.parse(path).getroot()
    assert root.get("width") == "800" and root.get("height") == "320"
    assert root.find(SVG + "title").text.startswith(f"{odd}: time to detect and recover")
    texts = [t.text for t in root.iter(SVG + "text")]
    assert f"{odd}: time to detect and recover (4 experiments)" in texts
    assert {"virtual time (ms)", "host time (s)", "detect", "recover"} <= set(texts)
    # one dot per value: 4 + 4 virtual, 3 + 4 host (one detect_host_s missing)
    assert len(list(root.iter(SVG + "circle"))) == 15
    overview = ET.parse(tmp_path / "recovery-overview.svg").getroot()
    assert len(list(overview.iter(SVG + "circle"))) == 7
    assert overview.get("width") == "500"


def test_svg_plots_reproducible(tmp_path):
    a = write_report(synthetic(), str(tmp_path / "a"), "c")["plots"]
    b = write_report(synthetic(), str(tmp_path / "b"), "c")["plots"]
    assert [os.path.basename(p) for p in a] == [os.path.basename(p) for p in b]
    for pa, pb in zip(a, b):
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            assert fa.read() == fb.read(), pa


def _journal(tmp_path):
    j = Journal(str(tmp_path / "camp.jsonl"))
    for r in synthetic():
        j.record(r)
    with open(j.path, "a") as f:
        f.write('{"id": "torn')                  # a killed writer's last line
    return j


def test_cli_main(tmp_path, capsys):
    j = _journal(tmp_path)
    cov = tmp_path / "cov.json"
    cov.write_text(json.dumps(COVERAGE))
    out = tmp_path / "rep"
    assert cli.main([str(out), j.path, "--coverage", str(cov)]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["campaign"] == "camp" and doc["summary"]["total"] == len(synthetic())
    assert "coverage/index.html" in parse_page(out / "index.html").links
    err = capsys.readouterr()
    assert "4 failed" in err.out and "skipped 1" in err.err


def test_cli_spec_filter(tmp_path):
    j = _journal(tmp_path)
    spec_file = tmp_path / "c.spec"
    spec_file.write_text("campaign from-spec\nkv init_fail\nkv crash trigger=nth:2\n")
    out = tmp_path / "rep"
    assert cli.main([str(out), j.path, "--spec", str(spec_file)]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["campaign"] == "from-spec"
    assert [r["id"] for r in doc["results"]] == ["kv-init_fail-nth:1", "kv-crash-nth:2"]
    assert cli.main([str(out), str(tmp_path / "missing.jsonl")]) == 2


def test_cli_module(tmp_path):
    j = _journal(tmp_path)
    out = tmp_path / "rep"
    p = subprocess.run([sys.executable, "-m", "reports", str(out), j.path, "--name", "N1"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "results.json").read_text())["campaign"] == "N1"
    assert (out / "junit.xml").is_file() and (out / "index.html").is_file()


def test_a_minimised_signature_shows_its_reproducer_stale_on_another_build(tmp_path):
    from campaigns import reproducers
    bad = _res("kv-crash-times:30", "kv", "crash", "given_up", site="kv.put", build="b1",
               activated=True, evidence={"divergence": {"label": "escalate"}})
    entry = {"signature": ["given_up", "escalate", "kv.put"],
             "from": {"id": bad["id"], "trigger": "times:30", "load": 170, "step_count": 8},
             "minimal": {"id": "kv-crash-times:13-steps=step:1+kv:1", "trigger": "times:13",
                         "load": 1, "step_count": 2,
                         "line": "kv crash trigger=times:13 expect=recovered steps=step:1+kv:1"},
             "runs": 21, "replays": {"identical": True}, "note": None, "build": "b1",
             "gdb": "make gdb EXP='kv-crash-times:13-steps=step:1+kv:1' SPEC=x.spec"}
    reproducers.save(tmp_path, "t", entry)
    write_report([bad], str(tmp_path), "t")
    html = (tmp_path / "index.html").read_text()
    assert "trigger times:30 &rarr; times:13, load 170 &rarr; 1 requests, steps 8 &rarr; 2" in html
    assert "make gdb EXP=&#39;kv-crash-times:13-steps=step:1+kv:1&#39; SPEC=x.spec" in html
    assert "3 replays, byte-identical traces" in html and "another build" not in html
    reproducers.save(tmp_path, "t", dict(entry, build="b0"))
    write_report([bad], str(tmp_path), "t")
    assert "minimised on another build or spec" in (tmp_path / "index.html").read_text()
