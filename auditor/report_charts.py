"""The report's charts as inline SVG: bars drawn from a chart of auditor/report_view.py, no script and no library
at view time. The SVG scales with the page (a viewBox, 100% wide) and its text is large enough to read at 400 px;
each chart has a <title> and a <desc> for screen readers, and the report puts a table of the same numbers below."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 8, 14, 52
FONT = 20  # viewBox units: about 12 px when the chart is drawn 400 px wide


def _value(value: Any) -> int:
    return int(value or 0)


def svg_chart(chart: Mapping[str, Any]) -> Markup:
    """A bar chart: one group per label; the series stacked in one bar, or side by side."""
    labels, series = list(chart["labels"]), list(chart["series"])
    stacked = bool(chart.get("stacked"))
    if stacked:
        peak = max((sum(_value(s["values"][i]) for s in series) for i in range(len(labels))), default=0)
    else:
        peak = max((_value(v) for s in series for v in s["values"]), default=0)
    peak = max(peak, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * (0.6 if stacked else 0.8 / max(len(series), 1))
    cid = escape(chart["id"])
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{cid}-t {cid}-d" '
        f'font-size="{FONT}">',
        f'<title id="{cid}-t">{escape(chart["title"])}</title><desc id="{cid}-d">{escape(chart["desc"])}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + FONT / 3:.1f}" text-anchor="end">'
                     f'{round(peak * fraction):g}</text>')
    every = max(1, round(len(labels) * 42 / plot_w))  # keep the labels from running into each other
    for i, label in enumerate(labels):
        x0 = LEFT + slot * i
        base = TOP + plot_h
        for j, s in enumerate(series):
            value = s["values"][i]
            if value is None or not _value(value):
                continue
            h = plot_h * _value(value) / peak
            x = x0 + (slot - bar_w) / 2 if stacked else x0 + slot * 0.1 + bar_w * j
            y = base - h
            tip = f"{label}: {value} {s['name']}"
            parts.append(f'<rect class="{escape(s["cls"])}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}"><title>{escape(tip)}</title></rect>')
            if stacked:
                base = y
        if i % every == 0:
            parts.append(f'<text class="axis" x="{x0 + slot / 2:.1f}" y="{HEIGHT - BOTTOM + FONT + 6}" '
                         f'text-anchor="middle">{escape(_short(label))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str) -> str:
    return label.replace(" days", "d").replace(" or more", "+").replace(" years", "y")
