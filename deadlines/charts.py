"""Server-rendered SVG charts: a horizontal bar chart and a line chart, no JavaScript, no inline styles.

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>``; the page puts the same
numbers in a data table inside ``<details>`` beside it, and offers them as CSV. Colours are set with
SVG presentation attributes (the Content-Security-Policy allows no inline styles) from the Okabe–Ito
palette, which stays distinguishable for colour-blind readers; line series also differ in marker shape.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
MARKERS = ("circle", "square", "diamond", "triangle")
WIDTH = 640
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


@dataclasses.dataclass
class Chart:
    """One chart with its data: ``columns``/``rows`` feed the fallback table and the CSV export."""

    id: str
    title: str
    description: str
    columns: list[str]
    rows: list[list]
    svg: SafeString = mark_safe("")
    kind: str = "bar"

    @property
    def empty(self) -> bool:
        return not self.rows


def _open(chart_id: str, title: str, description: str, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" focusable="false">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
    )


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _empty(chart_id: str, title: str, description: str) -> SafeString:
    return mark_safe(
        _open(chart_id, title, description, 60)
        + f'<text x="{WIDTH // 2}" y="34" text-anchor="middle" font-size="14" fill="#555" {FONT}>'
        + escape(_("No data yet"))
        + "</text></svg>"
    )


def nice_max(value: float, *, integer: bool = False) -> float:
    """A round top for the axis: four equal steps of 1, 2, 2.5, 3 or 5 × 10ⁿ (whole steps for counts)."""
    quarter = max(value, 0) / 4
    if quarter <= 0:
        return 4 if integer else 1
    exponent = math.floor(math.log10(quarter))
    for factor in (1, 2, 2.5, 3, 5, 10):
        step = factor * 10**exponent
        if integer and (step < 1 or step != int(step)):
            continue
        if step >= quarter:
            return 4 * step
    return 4 * 10 ** (exponent + 1)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[tuple[str, float, str]],
    *,
    maximum: float | None = None,
    color: str = PALETTE[0],
    integer: bool = False,
) -> SafeString:
    """Horizontal bars: (label, value, value as shown). ``maximum`` fixes the scale (e.g. 100 for %)."""
    if not bars:
        return _empty(chart_id, title, description)
    label_w, plot_w, row_h, top = 230, 330, 26, 8
    height = top * 2 + row_h * len(bars) + 18
    scale_max = maximum or nice_max(max(value for _, value, _ in bars), integer=integer)
    parts = [_open(chart_id, title, description, height)]
    x0 = label_w
    axis_y = top + row_h * len(bars)
    for tick in range(5):
        x = x0 + plot_w * tick / 4
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" stroke="#ddd" stroke-width="1"/>')
        tick_value = scale_max * tick / 4
        shown = f"{tick_value:.0f}" if tick_value == int(tick_value) else f"{tick_value:.1f}"
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="11" fill="#555" {FONT}>{shown}</text>')
    for index, (label, value, shown) in enumerate(bars):
        y = top + row_h * index
        width = 0 if scale_max == 0 else plot_w * min(value, scale_max) / scale_max
        parts.append(
            f'<g class="bar-row"><text x="{x0 - 8}" y="{y + 17}" text-anchor="end" font-size="12" fill="#222" {FONT}>'
            f"{escape(_short(label))}</text>"
            f'<rect class="bar" x="{x0}" y="{y + 4}" width="{width:.1f}" height="18" fill="{color}">'
            f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            f'<text x="{x0 + width + 6:.1f}" y="{y + 17}" font-size="12" fill="#222" {FONT}>{escape(shown)}</text></g>'
        )
    parts.append(f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{axis_y}" stroke="#444" stroke-width="1"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _marker(kind: str, x: float, y: float, color: str, label: str) -> str:
    tip = f"<title>{escape(label)}</title>"
    if kind == "square":
        return f'<rect class="point" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}">{tip}</rect>'
    if kind == "diamond":
        return (f'<polygon class="point" points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
                f'{x - 5:.1f},{y:.1f}" fill="{color}">{tip}</polygon>')
    if kind == "triangle":
        return (f'<polygon class="point" points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" '
                f'fill="{color}">{tip}</polygon>')
    return f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">{tip}</circle>'


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
) -> SafeString:
    """One line per series of counts over the x labels (e.g. month ends), with a legend under the plot."""
    if not series or not x_labels:
        return _empty(chart_id, title, description)
    left, right, top, plot_h = 52, 32, 14, 220
    plot_w = WIDTH - left - right
    legend_rows = len(series)
    height = top + plot_h + 34 + legend_rows * 20 + 8
    scale_max = nice_max(max((max(values) for _, values in series if values), default=1), integer=True)
    parts = [_open(chart_id, title, description, height)]
    bottom = top + plot_h
    for tick in range(5):
        y = bottom - plot_h * tick / 4
        tick_value = scale_max * tick / 4
        shown = f"{tick_value:.0f}" if tick_value == int(tick_value) else f"{tick_value:.1f}"
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555" {FONT}>{shown}</text>')
    count = len(x_labels)
    step = plot_w / max(count - 1, 1)

    def x_at(i):
        return left + (step * i if count > 1 else plot_w / 2)

    every = max(1, math.ceil(count / 12))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == count - 1:
            parts.append(f'<text x="{x_at(i):.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11" fill="#555" {FONT}>{escape(label)}</text>')
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - right}" y2="{bottom}" stroke="#444" stroke-width="1"/>')
    for index, (name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        marker = MARKERS[index % len(MARKERS)]
        points = [(x_at(i), bottom - plot_h * (v / scale_max)) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<g class="series"><polyline class="line" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for i, (x, y) in enumerate(points):
            parts.append(_marker(marker, x, y, color, f"{name}, {x_labels[i]}: {values[i]:g}"))
        parts.append("</g>")
        ly = bottom + 34 + index * 20
        parts.append(_marker(marker, left + 6, ly - 4, color, name))
        parts.append(f'<text x="{left + 16}" y="{ly}" font-size="12" fill="#222" {FONT}>{escape(_short(name, 80))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
