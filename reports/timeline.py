"""One experiment's recovery as an SVG picture: a horizontal virtual-time
axis from the fault firing, one lane each for the fault, RS detecting it,
the restart, the service serving again and what the workload client saw
(retries, wrong or stale answers, errors).  Hand-written SVG like
reports/svgplot.py; the marks come from reports/survival.timeline, which
takes them from the verdict's evidence (campaigns/evidence.py).

The axis is logarithmic by default: a crash is detected within tens of
microseconds and the service is back within a millisecond, while a hang is
seen only after heartbeat periods of 100 ms and the run goes on for a
second; on a linear axis the first of those would sit on one pixel.
"""

from __future__ import annotations

import math
from typing import Any, List, Mapping, Optional, Sequence

from reports.svgplot import CHAR_EM, FONT, GRID, MUTED, _attr, _f, _text, nice_ticks
from campaigns.evidence import LANES

WIDTH = 960
LANE_H = 32
LABEL_W = 170          # lane names and their first time
TOP = 60               # below three header lines
AXIS_H = 44            # tick labels and the axis title
MARK_PX = 10
MARK_R = 5
BAD = "#b71c1c"
LANE_COLORS = {"fault": "#c62828", "detected": "#ef6c00", "restarted": "#1565c0",
               "serving": "#2e7d32", "client": "#6a1b9a"}
LANE_NAMES = {"fault": "fault", "detected": "detected", "restarted": "restarted",
              "serving": "serving again", "client": "client"}
BAND = "#e8f5e9"
HEADER_MAX = 150       # characters of a header line before it is cut


def fmt_us(us: float) -> str:
    """A virtual-time span in µs as short text: 873 µs, 8.97 ms, 1.2 s."""
    if us < 1000:
        return f"{us:.3g} µs"
    if us < 1_000_000:
        return f"{us / 1000:.3g} ms"
    return f"{us / 1_000_000:.3g} s"


def _cut(s: str, n: int = HEADER_MAX) -> str:
    return s if len(s) <= n else s[:n - 1] + "…"


class _Axis:
    """dt (µs since the origin) -> x, and the ticks to draw."""

    def __init__(self, left: float, right: float, max_dt: float, scale: str):
        self.left, self.right, self.scale = left, right, scale
        if scale == "log":
            # whole decades, at least up to 10 µs
            self.decades = max(1, math.ceil(math.log10(max(max_dt, 10))))
            self.ticks = [0.0] + [10.0 ** k for k in range(self.decades + 1)]
        elif scale == "linear":
            _, hi, ticks, _ = nice_ticks(0.0, max(float(max_dt), 1.0))
            self.hi = max(hi, float(max_dt), 1.0)
            self.ticks = [t for t in ticks if 0 <= t <= self.hi]
        else:
            raise ValueError(f"unknown scale {scale!r}")

    def x(self, dt: float) -> float:
        if self.scale == "log":
            frac = math.log10(1 + max(dt, 0)) / math.log10(1 + 10.0 ** self.decades)
        else:
            frac = max(dt, 0) / self.hi
        return self.left + min(frac, 1.0) * (self.right - self.left)


def _shape(lane: str, x: float, y: float, fill: str) -> str:
    h = MARK_PX / 2
    if lane == "fault":         # a lightning-like downward triangle
        return (f'<path d="M{_f(x - h)} {_f(y - h)}H{_f(x + h)}L{_f(x)} {_f(y + h)}Z" '
                f'fill="{fill}"/>')
    if lane == "detected":      # diamond
        return (f'<path d="M{_f(x)} {_f(y - h)}L{_f(x + h)} {_f(y)}L{_f(x)} {_f(y + h)}'
                f'L{_f(x - h)} {_f(y)}Z" fill="{fill}"/>')
    if lane == "serving":       # square
        return (f'<rect x="{_f(x - h + 1)}" y="{_f(y - h + 1)}" width="{_f(MARK_PX - 2)}" '
                f'height="{_f(MARK_PX - 2)}" fill="{fill}"/>')
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{MARK_R}" fill="{fill}"/>'


def draw(tl: Mapping[str, Any], scale: str = "log", width: int = WIDTH) -> str:
    """The SVG document of one timeline (survival.timeline's dict)."""
    marks: Sequence[Mapping[str, Any]] = tl.get("marks") or []
    end: Optional[Mapping[str, Any]] = tl.get("end")
    height = TOP + LANE_H * len(LANES) + AXIS_H
    left, right = LABEL_W + 16, width - 24
    max_dt = max([m["dt"] for m in marks] + ([end["dt"]] if end else []) +
                 [v for v in (tl.get("recover_us"), tl.get("detect_us")) if v is not None] + [1])
    ax = _Axis(left, right, max_dt, scale)
    title = f"{tl.get('id') or '?'}: {tl.get('outcome') or '?'}"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}">',
           f"<title>{_text('timeline of ' + title)}</title>",
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="8" y="18" font-size="14" font-weight="bold">{_text(_cut(title))}</text>']
    what = f"{tl.get('fault') or '?'} at {tl.get('site') or 'its default site'} " \
           f"in {tl.get('service') or '?'}"
    if tl.get("why"):
        what += f" — {tl['why']}"
    out.append(f'<text x="8" y="35" font-size="11" fill="#333">{_text(_cut(what))}</text>')
    facts = []
    if tl.get("detect_us") is not None:
        facts.append(f"detected after {fmt_us(tl['detect_us'])}")
    if tl.get("recover_us") is not None:
        facts.append(f"recovery done after {fmt_us(tl['recover_us'])}")
    if end:
        how = f", {end['how']}" if end.get("how") and end["how"] != end["kind"] else ""
        facts.append(f"run ended at +{fmt_us(end['dt'])} ({end['kind']}{how})")
    facts.append(f"virtual time, {scale} scale; hover a mark for its event")
    out.append(f'<text x="8" y="50" font-size="11" fill="{MUTED}">'
               f'{_text(_cut(" · ".join(facts)))}</text>')

    bottom = TOP + LANE_H * len(LANES)
    if tl.get("t0") is None:
        # a record without evidence says so, rather than look like an empty trace
        say = _cut(tl.get("note") or "no timed events in the trace")
        out.append(f'<text x="{_f(width / 2)}" y="{_f((TOP + bottom) / 2)}" font-size="13" '
                   f'text-anchor="middle" fill="{MUTED}">{_text(say)}</text>')
        out.append("</svg>")
        return "\n".join(out) + "\n"

    # lanes, then the recovery band and grid, so marks sit on top of them
    for i, lane in enumerate(LANES):
        y0 = TOP + i * LANE_H
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{y0}" width="{width}" height="{LANE_H}" fill="#f7f7f7"/>')
    if tl.get("recover_us") is not None:
        x1 = ax.x(tl["recover_us"])
        out.append(f'<rect x="{_f(ax.x(0))}" y="{TOP}" width="{_f(max(x1 - ax.x(0), 1))}" '
                   f'height="{bottom - TOP}" fill="{BAND}" fill-opacity="0.8">'
                   f'<title>fault fired to recovery done: {_text(fmt_us(tl["recover_us"]))}</title>'
                   f'</rect>')
    for t in ax.ticks:
        x = _f(ax.x(t))
        out.append(f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{bottom}" stroke="{GRID}"/>')
        out.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" stroke="black"/>')
        out.append(f'<text x="{x}" y="{bottom + 16}" font-size="10" text-anchor="middle">'
                   f'{_text("0" if t == 0 else fmt_us(t))}</text>')
    out.append(f'<line x1="{_f(left)}" y1="{bottom}" x2="{_f(right)}" y2="{bottom}" '
               f'stroke="black"/>')
    since = "the update was requested" if tl.get("origin") == "update_requested" else \
        "the fault fired" if tl.get("origin") == "fi_fired" else "the first event"
    out.append(f'<text x="{_f((left + right) / 2)}" y="{bottom + 34}" font-size="12" '
               f'text-anchor="middle">{_text(f"virtual time since {since} ({scale} scale)")}'
               f'</text>')
    if end:
        x = _f(ax.x(end["dt"]))
        out.append(f'<line x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{bottom}" stroke="#555" '
                   f'stroke-dasharray="4 3"><title>{_text("run ended: " + end["kind"])}</title>'
                   f'</line>')

    for i, lane in enumerate(LANES):
        y = TOP + i * LANE_H + LANE_H / 2
        ms = [m for m in marks if m["lane"] == lane]
        out.append(f'<text x="8" y="{_f(y)}" font-size="12" dominant-baseline="central" '
                   f'fill="{LANE_COLORS[lane]}">{_text(LANE_NAMES[lane])}</text>')
        first = f"+{fmt_us(ms[0]['dt'])}" if ms else "–"
        out.append(f'<text x="{LABEL_W}" y="{_f(y)}" font-size="11" text-anchor="end" '
                   f'dominant-baseline="central" fill="{MUTED}">{_text(first)}</text>')
        xs = [ax.x(m["dt"]) for m in ms]
        # the lane's marks, then their labels where they fit: a label covers
        # no mark and no other label (crowded marks keep only their tooltip)
        taken: List[tuple] = [(x - MARK_R, x + MARK_R) for x in xs]
        labels = []
        for m, x in zip(ms, xs):
            fill = BAD if m["bad"] else LANE_COLORS[lane]
            tip = f"+{fmt_us(m['dt'])}: {m['event']}"
            out.append(f'<g><title>{_text(tip)}</title>{_shape(lane, x, y, fill)}</g>')
            w = len(m["label"]) * CHAR_EM * 10
            for a, anchor in ((x + MARK_R + 4, "start"), (x - MARK_R - 4 - w, "end")):
                b = a + w
                if a < left - 8 or b > width - 4 or \
                        any(lo < b + 4 and a < hi + 4 for lo, hi in taken):
                    continue
                taken.append((a, b))
                labels.append(f'<text x="{_f(a if anchor == "start" else b)}" y="{_f(y)}" '
                              f'font-size="10" dominant-baseline="central" '
                              f'text-anchor="{anchor}" fill="{_attr(fill)}">'
                              f'{_text(m["label"])}</text>')
                break
        out.extend(labels)
    out.append("</svg>")
    return "\n".join(out) + "\n"
