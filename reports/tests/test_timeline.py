# Unit tests of the timeline picture (reports/timeline.py): a well-formed SVG
# with one mark (and its event as tooltip) per extracted mark, on a log or
# linear virtual-time axis.

import xml.etree.ElementTree as ET

import pytest

from reports import survival as sv
from reports import timeline as tlsvg
from reports.tests import traces as T

SVG = "{http://www.w3.org/2000/svg}"


def _draw(rec, **kw):
    return ET.fromstring(tlsvg.draw(sv.timeline(rec), **kw).encode())


def _texts(root):
    return [t.text for t in root.iter(SVG + "text")]


@pytest.mark.parametrize("us,text", [(0, "0 µs"), (30, "30 µs"), (873, "873 µs"),
                                     (8969, "8.97 ms"), (710000, "710 ms"),
                                     (1_200_000, "1.2 s")])
def test_fmt_us(us, text):
    assert tlsvg.fmt_us(us) == text


def test_axis_log_and_linear():
    ax = tlsvg._Axis(100, 900, 710000, "log")
    assert ax.ticks[0] == 0 and ax.ticks[-1] == 1e6
    assert ax.x(0) == 100 and ax.x(1e6) == pytest.approx(900)
    assert ax.x(30) < ax.x(900) < ax.x(9000) < ax.x(710000)
    assert ax.x(5e7) == 900                           # beyond the axis: at its end
    lin = tlsvg._Axis(100, 900, 1000, "linear")
    assert lin.x(0) == 100 and lin.x(lin.hi) == pytest.approx(900)
    assert lin.ticks[0] == 0 and lin.ticks[-1] <= lin.hi and lin.hi >= 1000
    with pytest.raises(ValueError):
        tlsvg._Axis(0, 1, 1, "cubic")


@pytest.mark.parametrize("scale", ["log", "linear"])
def test_draw_recovered_crash(scale):
    rec = T.record("kv-crash-nth:1", "kv", "crash", "recovered", T.recovered(),
                   detect_virtual_us=30, recover_virtual_us=900)
    tl = sv.timeline(rec)
    root = _draw(rec, scale=scale)
    assert root.tag == SVG + "svg" and root.get("width") == str(tlsvg.WIDTH)
    assert root.find(SVG + "title").text == "timeline of kv-crash-nth:1: recovered"
    texts = _texts(root)
    assert "kv-crash-nth:1: recovered" in texts
    for lane in tlsvg.LANES:
        assert tlsvg.LANE_NAMES[lane] in texts
    assert "+30 µs" in texts and "+900 µs" in texts            # first mark of each lane
    assert f"virtual time since the fault fired ({scale} scale)" in texts
    # one group per mark, its tooltip the event line
    tips = [g.find(SVG + "title").text for g in root.iter(SVG + "g")]
    assert len(tips) == len(tl["marks"])
    assert tips[1] == "+30 µs: " + tl["marks"][1]["event"]
    # the recovery band and the end of the run
    band = [r for r in root.iter(SVG + "rect") if r.get("fill") == tlsvg.BAND]
    assert len(band) == 1
    assert any(ln.get("stroke-dasharray") for ln in root.iter(SVG + "line"))
    facts = [t for t in texts if t and t.startswith("detected after")][0]
    assert "recovery done after 900 µs" in facts and "run ended at +700 ms (off, halt)" in facts


def test_draw_bad_marks_are_red():
    root = _draw(T.record("w", "kv", "flip_branch", "wrong_answers", T.wrong_answers()))
    # each group: its tooltip, then the shape
    fills = {g.find(SVG + "title").text.split(" ev=")[1].split()[0]: list(g)[1].get("fill")
             for g in root.iter(SVG + "g")}
    assert fills["wl_wrong"] == tlsvg.BAD and fills["wl_done"] == tlsvg.BAD
    assert fills["fi_fired"] == tlsvg.LANE_COLORS["fault"]
    assert "wrong answer" in _texts(root)


def test_draw_escapes_and_empty():
    odd = 'x<&>"y'
    rec = T.record(odd, "kv", "crash", "recovered", [], why="a <b>why</b>")
    raw = tlsvg.draw(sv.timeline(rec))
    assert "x&lt;&amp;&gt;" in raw and "<b>" not in raw
    root = ET.fromstring(raw.encode())
    assert "no timed events in the trace" in _texts(root)
    assert f"{odd}: recovered" in _texts(root)


def test_draw_live_update_axis_title():
    root = _draw(T.record("u", "kv", "lu_ok", "recovered", T.live_update()))
    assert "virtual time since the update was requested (log scale)" in _texts(root)


def test_crowded_labels_keep_their_tooltips():
    lines = T._head(1000) + [T.fired(1000, "kv", "crash", "kv.put")]
    lines += [T.ev(1000 + 5 * i, "scenario", "wl_rebind", target="kv", old=i, new=i + 1)
              for i in range(20)]
    root = _draw(T.record("c", "kv", "crash", "client_hung", lines))
    assert len(list(root.iter(SVG + "g"))) == 21
    assert _texts(root).count("rebind") < 20
