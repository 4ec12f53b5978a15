"""Strip+box plots as SVG text, for the report's recovery-time figures.

The report used matplotlib for these, and importing it plus rendering a dozen
figures cost seconds per report; the plots need only boxes, dots, ticks and
text, which a few lines of SVG express exactly.  Standard library only.

figure(width, height, panels, title, rng) returns a whole SVG document: the
panels side by side, each a Panel (one box with jittered points per group).
The output depends only on the arguments (and the state of rng), so a report
built twice from the same results has byte-identical plots.
"""

from __future__ import annotations

import math
import random
import re
from typing import List, NamedTuple, Optional, Sequence, Tuple


def escape(s: str, more=None) -> str:
    """&, < and > as XML entities (xml.sax.saxutils's escape, whose import
    pulls in urllib and http.client: 30 ms of every report's start)."""
    s = s.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for k, v in (more or {}).items():
        s = s.replace(k, v)
    return s

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
SUPTITLE_PX = 14
TITLE_PX = 12
LABEL_PX = 13
TICK_PX = 12
XTICK_PX = 11
CHAR_EM = 0.6          # rough width of a character, in font sizes, for layout
BOX_WIDTH = 0.5        # in x data units, where groups sit at 1, 2, ...
JITTER = 0.15
POINT_R = 2.5
MARGIN = 0.05          # of the data span, above and below, so no dot sits on the frame
GRID = "#e6e6e6"
MUTED = "#777777"

# XML 1.0 forbids most control characters even escaped; a fault name or title
# is shown, not parsed, so a stand-in keeps the document well-formed
_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Panel(NamedTuple):
    groups: Sequence[Sequence[float]]   # one list of values per group, may be empty
    labels: Sequence[str]               # x tick label per group
    colors: Sequence[str]               # point colour per group
    title: str = ""
    ylabel: str = ""


def _text(s: str) -> str:
    return escape(_XML_BAD.sub("\ufffd", str(s)))


def _attr(s: str) -> str:
    # escape() leaves quotes alone; inside an attribute they would end it
    return escape(_XML_BAD.sub("\ufffd", str(s)), {'"': "&quot;"})


def _f(x: float) -> str:
    # a tenth of a pixel is invisible; fixed precision keeps output stable and short
    s = f"{x:.1f}"
    return "0" if s == "-0.0" else s[:-2] if s.endswith(".0") else s


def quantile(sorted_vals: Sequence[float], p: float) -> float:
    """Linear interpolation between order statistics (numpy's default, which
    matplotlib's boxplot uses)."""
    h = (len(sorted_vals) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (h - lo) * (sorted_vals[hi] - sorted_vals[lo])


def box_stats(values: Sequence[float]) -> Tuple[float, float, float, float, float]:
    """(whisker low, q1, median, q3, whisker high): whiskers reach the farthest
    data within 1.5 IQR of the box, as matplotlib's whis=1.5."""
    s = sorted(values)
    q1, med, q3 = quantile(s, 0.25), quantile(s, 0.5), quantile(s, 0.75)
    reach = 1.5 * (q3 - q1)
    lo = min((v for v in s if v >= q1 - reach), default=q1)
    hi = max((v for v in s if v <= q3 + reach), default=q3)
    # interpolated quartiles can lie beyond every datum the fence admits
    return min(lo, q1), q1, med, q3, max(hi, q3)


def nice_ticks(lo: float, hi: float, target: int = 5) -> Tuple[float, float, List[float], int]:
    """Axis limits around [lo, hi], about `target` round tick values inside
    them, and the decimals that print those values exactly."""
    if hi < lo:
        lo, hi = hi, lo
    span = hi - lo
    if span == 0:
        # a single value (or all equal): centre it in a small window
        span = abs(lo) * 0.1 or 1.0
        lo, hi = lo - span / 2, hi + span / 2
    lo, hi = lo - span * MARGIN, hi + span * MARGIN
    # the finest round step that leaves at most target + 1 ticks in view
    exp = math.floor(math.log10((hi - lo) / (2 * target)))
    while True:
        for m in (1, 2, 2.5, 5):
            step = m * 10.0 ** exp
            # integer multiples of step, so 0.1 + 0.2 never shows as 0.30000000000000004
            k0, k1 = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            if k1 - k0 + 1 <= target + 1:
                return lo, hi, [k * step for k in range(k0, k1 + 1)], _decimals(step)
        exp += 1


def _decimals(step: float) -> int:
    """Fewest decimals that print every multiple of step exactly."""
    d = 0
    while d < 12 and abs(round(step, d) - step) > step * 1e-6:
        d += 1
    return d


def _tick_label(v: float, decimals: int) -> str:
    s = f"{v:.{decimals}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def _panel(out: List[str], p: Panel, x0: float, x1: float, top: float, bottom: float,
           rng) -> None:
    """Draw one panel into the cell x0..x1 (panel title from `top`, x tick
    labels ending at `bottom`)."""
    values = [v for g in p.groups for v in g]
    lo, hi, ticks, dec = nice_ticks(min(values), max(values)) if values else nice_ticks(0, 1)
    labels = [_tick_label(t, dec) for t in ticks]
    widest = max((len(s) for s in labels), default=1)
    left = x0 + 6 + LABEL_PX + 8 + widest * CHAR_EM * TICK_PX + 8
    right = x1 - 12
    ptop = top + (TITLE_PX + 8 if p.title else 0)
    pbottom = bottom - XTICK_PX - 10
    n = max(len(p.groups), 1)

    def X(x: float) -> float:   # groups at 1..n, with the half-slot margins matplotlib uses
        return left + (x - 0.4) / (n + 0.2) * (right - left)

    def Y(y: float) -> float:
        return pbottom - (y - lo) / (hi - lo) * (pbottom - ptop)

    if p.title:
        out.append(f'<text x="{_f((left + right) / 2)}" y="{_f(top + TITLE_PX)}" '
                   f'font-size="{TITLE_PX}" text-anchor="middle">{_text(p.title)}</text>')
    # grid first, so boxes and dots sit on top of it
    for t, s in zip(ticks, labels):
        y = _f(Y(t))
        out.append(f'<line x1="{_f(left)}" y1="{y}" x2="{_f(right)}" y2="{y}" stroke="{GRID}"/>')
        out.append(f'<line x1="{_f(left - 4)}" y1="{y}" x2="{_f(left)}" y2="{y}" stroke="black"/>')
        out.append(f'<text x="{_f(left - 7)}" y="{y}" font-size="{TICK_PX}" text-anchor="end" '
                   f'dominant-baseline="central">{_text(s)}</text>')
    if p.ylabel:
        cx, cy = _f(x0 + 6 + LABEL_PX), _f((ptop + pbottom) / 2)
        out.append(f'<text x="{cx}" y="{cy}" font-size="{LABEL_PX}" text-anchor="middle" '
                   f'transform="rotate(-90 {cx} {cy})">{_text(p.ylabel)}</text>')
    for i, (g, label) in enumerate(zip(p.groups, p.labels)):
        cx = X(i + 1)
        out.append(f'<line x1="{_f(cx)}" y1="{_f(pbottom)}" x2="{_f(cx)}" y2="{_f(pbottom + 4)}" '
                   f'stroke="black"/>')
        out.append(f'<text x="{_f(cx)}" y="{_f(pbottom + 6 + XTICK_PX)}" font-size="{XTICK_PX}" '
                   f'text-anchor="middle">{_text(label)}</text>')
        if not g:
            out.append(f'<text x="{_f(cx)}" y="{_f((ptop + pbottom) / 2)}" font-size="{XTICK_PX}" '
                       f'text-anchor="middle" dominant-baseline="central" fill="{MUTED}">'
                       f'no data</text>')
            continue
        wlo, q1, med, q3, whi = box_stats(g)
        bl, br = X(i + 1 - BOX_WIDTH / 2), X(i + 1 + BOX_WIDTH / 2)
        cl, cr = X(i + 1 - BOX_WIDTH / 4), X(i + 1 + BOX_WIDTH / 4)
        box = [f'<rect x="{_f(bl)}" y="{_f(Y(q3))}" width="{_f(br - bl)}" '
               f'height="{_f(Y(q1) - Y(q3))}"/>',
               f'<path d="M{_f(cx)} {_f(Y(q3))}V{_f(Y(whi))}M{_f(cl)} {_f(Y(whi))}H{_f(cr)}'
               f'M{_f(cx)} {_f(Y(q1))}V{_f(Y(wlo))}M{_f(cl)} {_f(Y(wlo))}H{_f(cr)}"/>',
               f'<line x1="{_f(bl)}" y1="{_f(Y(med))}" x2="{_f(br)}" y2="{_f(Y(med))}" '
               f'stroke-width="1.5"/>']
        out.append('<g fill="none" stroke="black">' + "".join(box) + "</g>")
        color = p.colors[i] if i < len(p.colors) else "black"
        # one rng draw per point, in data order, as the matplotlib version drew them
        dots = [f'<circle cx="{_f(X(i + 1 + rng.uniform(-JITTER, JITTER)))}" cy="{_f(Y(v))}" '
                f'r="{POINT_R}"/>' for v in g]
        out.append(f'<g fill="{_attr(color)}" fill-opacity="0.7">' + "".join(dots) + "</g>")
    out.append(f'<rect x="{_f(left)}" y="{_f(ptop)}" width="{_f(right - left)}" '
               f'height="{_f(pbottom - ptop)}" fill="none" stroke="black"/>')


def figure(width: int, height: int, panels: Sequence[Panel], title: Optional[str] = None,
           rng=None) -> str:
    """An SVG document of `panels` side by side under `title`; `rng`
    (random.Random) gives the horizontal jitter of the points."""
    rng = rng if rng is not None else random.Random(0)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}">']
    if title:
        out.append(f"<title>{_text(title)}</title>")
    out.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    top = 8.0
    if title:
        out.append(f'<text x="{_f(width / 2)}" y="{_f(top + SUPTITLE_PX)}" '
                   f'font-size="{SUPTITLE_PX}" text-anchor="middle">{_text(title)}</text>')
        top += SUPTITLE_PX + 12
    cell = width / max(len(panels), 1)
    for i, p in enumerate(panels):
        _panel(out, p, i * cell, (i + 1) * cell, top, height - 4, rng)
    out.append("</svg>")
    return "\n".join(out) + "\n"
