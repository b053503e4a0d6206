"""The home page's charts: server-side SVG drawn by pygal, so they need no script and no network.

pygal (maintained by Kozea, pure Python, no binary dependency) draws axes, titles and legends
itself and writes every plotted value into the SVG (`<desc class="value">`), where a reader or
a test can find it. Its optional tooltip script lives on a CDN, so it is turned off (`js=[]`),
and the inline config written for that script is dropped: the charts hold no script at all,
and the figures tables under them carry the exact values instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
MONEY_SERIES = (("Budget", "budget"), ("Revenue", "revenue"), ("Profit", "profit"))
_STYLE = Style(
    background="white",
    plot_background="white",
    font_family="system-ui, sans-serif",
    # Tableau 20: ten hues, dark then light, so twenty genres stay apart.
    colors=(
        *("#4e79a7", "#59a14f", "#f28e2b", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"),
        *("#bab0ac", "#a0cbe8", "#8cd17d", "#ffbe7d", "#ff9d9a", "#86bcb6", "#f1ce63", "#d4a6c8", "#fabfd2"),
        *("#d7b5a6", "#79706e"),
    ),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=16,
)
_COMMON = {
    "js": [],  # pygal's tooltip script is fetched from a CDN: the page must work offline
    "disable_xml_declaration": True,  # the SVG is inlined in HTML
    "style": _STYLE,
    "width": 960,
    "height": 420,
    "truncate_legend": -1,
    "x_label_rotation": 0,
    "truncate_label": -1,
}


@dataclass(frozen=True, slots=True)
class YearPoint:
    """The money figures of one year (of everything, or of one company)."""

    year: int
    budget: int | None
    revenue: int | None
    profit: int | None


@dataclass(frozen=True, slots=True)
class GenrePoint:
    """The most popular genre of one year and its average popularity."""

    year: int
    genre: str
    average_popularity: float


def dollars(value: float | None) -> str:
    """A whole-dollar figure as `$1,328,198,811` (what the charts and tables print)."""
    return "–" if value is None else f"${value:,.0f}"


def money_chart(title: str, points: Sequence[YearPoint]) -> str:
    """Budget, revenue and profit per year as an SVG line chart (one line per figure)."""
    chart = pygal.XY(  # XY, not Line: years without releases keep their width on the axis
        title=title,
        x_title="Release year",
        y_title="US dollars",
        value_formatter=dollars,
        x_value_formatter=_year,
        y_labels=dollar_ticks([getattr(p, f) for p in points for _, f in MONEY_SERIES]),
        dots_size=2,
        allow_interruptions=True,  # a year with no known figure is a gap, not a zero
        **_COMMON,
    )
    for label, field in MONEY_SERIES:
        chart.add(label, [(point.year, getattr(point, field)) for point in points])
    return _svg(chart)


def genre_timeline(points: Sequence[GenrePoint]) -> str:
    """The most popular genre of each year: one dot per year, coloured by genre, at its popularity."""
    chart = pygal.XY(
        title="Most popular genre of each year (highest average popularity)",
        x_title="Release year",
        y_title="Average TMDB popularity of the genre's movies (score)",
        stroke=False,
        dots_size=4,
        value_formatter=lambda value: f"{value:.2f}",
        x_value_formatter=_year,
        **_COMMON,
    )
    by_genre: dict[str, list[tuple[int, float]]] = {}
    for point in points:
        by_genre.setdefault(point.genre, []).append((point.year, point.average_popularity))
    for genre in sorted(by_genre, key=lambda name: (-len(by_genre[name]), name)):
        chart.add(genre, by_genre[genre])
    return _svg(chart)


def _svg(chart: pygal.graph.graph.Graph) -> str:
    """The chart's SVG without pygal's inline config script (it only feeds the tooltip script)."""
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def dollar_ticks(values: Sequence[int | None]) -> list[dict[str, object]]:
    """About eight round y-axis ticks spanning the values, labelled short ($1.5B, $200M, -$50M)."""
    known = [value for value in values if value is not None]
    low, high = min(known + [0]), max(known + [0])
    if low == high:
        high = low + 1
    step = _round_step((high - low) / 8)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step:
        ticks.append({"value": value, "label": short_dollars(value)})
        value += step
    return ticks


def short_dollars(value: float) -> str:
    """An axis label: $0, $250K, $40M, $1.5B (sign first)."""
    sign, value = ("-" if value < 0 else ""), abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= size:
            return f"{sign}${value / size:.3g}{suffix}"
    return f"{sign}${value:.0f}"


def _round_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or above `raw`."""
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _year(value: float) -> str:
    return f"{value:.0f}"
