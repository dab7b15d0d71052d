"""The SVG charts: accessible, escaped, no inline styles or scripts, sensible scales."""

import re

import pytest

from deadlines.charts import bar_chart, line_chart, nice_max


def test_bar_chart_is_an_accessible_svg_with_escaped_labels():
    svg = bar_chart("c1", "Title <b>", "Desc & more", [("<script>alert(1)</script>", 3, "3"), ("Ержан", 5, "5")])
    assert svg.startswith("<svg ") and 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Title &lt;b&gt;</title>' in svg
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert len(re.findall(r'<rect class="bar"', svg)) == 2


def test_bars_scale_to_the_largest_value_or_a_fixed_maximum():
    widths = [float(w) for w in re.findall(r'class="bar" x="\d+" y="[\d.]+" width="([\d.]+)"', bar_chart(
        "c", "t", "d", [("a", 50, "50%"), ("b", 100, "100%")], maximum=100))]
    assert widths[1] == pytest.approx(2 * widths[0])


def test_empty_charts_say_so():
    assert "<rect" not in bar_chart("c", "t", "d", []) and "<text" in bar_chart("c", "t", "d", [])
    assert "polyline" not in line_chart("c", "t", "d", ["01.2026"], [])


def test_line_chart_draws_one_line_and_marker_per_point():
    svg = line_chart("q", "Queue", "sizes", ["01.2026", "02.2026", "03.2026"], [("List A", [1, 2, 3]), ("List B", [0, 1, 1])])
    assert svg.count('class="line"') == 2
    assert svg.count('class="point"') == 6 + 2  # points plus the legend markers
    assert "List A, 02.2026: 2" in svg and "style=" not in svg


@pytest.mark.parametrize(("value", "integer", "top"), [(0, True, 4), (3, True, 4), (5, True, 8), (10, True, 12),
                                                       (101, True, 120), (0.3, False, 0.4), (9, False, 10)])
def test_axis_tops_are_round(value, integer, top):
    assert nice_max(value, integer=integer) == pytest.approx(top)
