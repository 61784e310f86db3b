"""Bar charts of published survey results, as server-side SVG and as a plain model the PDF
report draws with the same rows.

Pure: results and words in, markup out (no Flask, no database). Only published values become
bars: a hidden cell is drawn as a hatched, empty track with its status in words, never a
number. Every bar carries its value (or status) as text and, in a trend, its wave's name, so
colour never carries the meaning alone.

The SVG has no viewBox: bars are placed in percent of the width and text in fixed pixel sizes,
so on a 360 px phone the bars shrink while the words keep their size, and a projector (or the
browser's zoom) enlarges everything. Labels are wrapped on the server to a width that fits a
phone. The page's Content-Security-Policy allows no inline styles: colours are presentation
attributes. The table beside each chart carries the same numbers; the chart is ``role="img"``
with a short name that points to that table (WCAG technique G74).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape

from ..content.quiz_schema import pick
from .survey_results import ResultCell, Trend, UnitResults

# Colours on white: text 4.5:1 or more, graphics 3:1 or more (tests/unit/test_result_charts.py).
INK = "#1b2430"  # labels and values (15.6:1)
MUTED = "#4a5565"  # status words (7.6:1)
TRACK = "#767676"  # the 0–100 % outline (4.5:1)
HATCH_INK = "#595959"  # the hatch of a hidden value (7:1)
SERIES_FILLS = ("#0b5e8a", "#a34a00")  # a summary's bars, or autumn then spring (7.0:1, 5.9:1)
BACKGROUND = "#ffffff"

LABEL_FONT, STATUS_FONT = 15, 14
LABEL_LINE, STATUS_LINE = 19, 18
BAR_HEIGHT, BAR_GAP, ROW_GAP = 22, 6, 16
LABEL_WRAP, STATUS_WRAP = 28, 34  # characters per line that fit a 360 px phone
SERIES_STATUS_WRAP = 24  # the same right of a wave's name
TRACK_END = 78.0  # percent of the width; the value text stands right of it
SERIES_WIDTH = 26.0  # percent of the width kept for the wave's name in a trend


@dataclass(frozen=True)
class Bar:
    """One bar: a published percentage, or ``None`` with the status in words."""

    series: str  # the wave's name in a trend, "" in a summary
    percent: int | None
    text: str  # "40%", or why it is not shown

    @property
    def hidden(self) -> bool:
        return self.percent is None


@dataclass(frozen=True)
class ChartRow:
    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    name: str  # the short accessible name (it points to the table with the numbers)
    rows: tuple[ChartRow, ...]
    series: tuple[str, ...] = ()  # the waves of a trend, autumn first; () for a summary


@dataclass(frozen=True)
class ChartWords:
    """The words of a chart, already translated by the caller."""

    name: str  # e.g. "Bar chart of 7A's results; the numbers are in the table below."
    percent: str = "%(percent)s%%"
    statuses: Mapping[str, str] | None = None  # a hidden status -> why it is not shown
    series: tuple[str, str] = ("", "")  # what a trend's autumn and spring bars are called


def _bar(cell: ResultCell, series: str, words: ChartWords) -> Bar:
    if cell.shown and cell.percent is not None:
        return Bar(series, cell.percent, words.percent % {"percent": cell.percent})
    return Bar(series, None, (words.statuses or {}).get(cell.status, ""))


def unit_chart(unit: UnitResults, lang: str, words: ChartWords) -> Chart:
    """The summary of one class or the school: one bar per indicator."""
    rows = tuple(ChartRow(pick(cell.label, lang), (_bar(cell, "", words),)) for cell in unit.cells)
    return Chart(words.name, rows)


def trend_chart(trend: Trend, lang: str, words: ChartWords) -> Chart:
    """Autumn and spring of one unit: two bars per indicator, each named by its wave."""
    autumn, spring = words.series
    rows = tuple(
        ChartRow(
            pick(row.label, lang),
            (_bar(row.autumn, autumn, words), _bar(row.spring, spring, words)),
        )
        for row in trend.rows
    )
    return Chart(words.name, rows, (autumn, spring))


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters (a longer word stands alone on its line)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


# -- SVG -------------------------------------------------------------------------------------


@dataclass
class _Parts:
    """The pieces of a chart, each drawn in one group that carries their shared attributes."""

    labels: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    tracks: list[str] = field(default_factory=list)
    bars: tuple[list[str], ...] = field(default_factory=lambda: tuple([] for _ in SERIES_FILLS))
    statuses: list[str] = field(default_factory=list)


def svg(chart: Chart, id_prefix: str) -> str:
    """The chart as one ``<svg>`` element (unique ids from ``id_prefix``); "" with no rows.

    The bars live in a nested ``<svg>`` spanning the track, so a bar's width is its percentage.
    """
    if not chart.rows:
        return ""
    hatch = f"{id_prefix}-hatch"
    parts = _Parts()
    y = 0
    left = SERIES_WIDTH if chart.series else 0.0
    for row in chart.rows:
        y = _label(parts, row.label, y)
        for i, bar in enumerate(row.bars):
            y = _bar_svg(parts, bar, i, y, hatch, wide=not chart.series)
        y += ROW_GAP
    height = y - ROW_GAP + BAR_GAP
    bars = "".join(
        f'<g fill="{fill}">{"".join(found)}</g>'
        for fill, found in zip(SERIES_FILLS, parts.bars, strict=True)
        if found
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" role="img" '
        f'aria-label="{escape(chart.name)}" focusable="false" class="result-chart" '
        'font-family="system-ui, sans-serif">'
        f"<defs>{_hatch(hatch)}</defs>"
        f'<g fill="{INK}" font-size="{LABEL_FONT}">'
        f'<g font-weight="600">{"".join(parts.labels)}</g>{"".join(parts.series)}'
        f'<g text-anchor="end" font-weight="700">{"".join(parts.values)}</g></g>'
        f'<svg x="{left:g}%" width="{TRACK_END - left:g}%" overflow="visible">'
        f'<g fill="{BACKGROUND}" stroke="{TRACK}">{"".join(parts.tracks)}</g>{bars}'
        f'<g fill="{MUTED}" font-size="{STATUS_FONT}">{"".join(parts.statuses)}</g>'
        "</svg></svg>"
    )


def _label(parts: _Parts, label: str, y: int) -> int:
    lines = wrap(label, LABEL_WRAP)
    spans = "".join(
        f'<tspan x="0" dy="{0 if i == 0 else LABEL_LINE}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    parts.labels.append(f'<text y="{y + LABEL_FONT}">{spans}</text>')
    return y + LABEL_LINE * len(lines) + 4


def _bar_svg(parts: _Parts, bar: Bar, index: int, y: int, hatch: str, wide: bool) -> int:
    middle = y + BAR_HEIGHT // 2 + 5
    if bar.series:
        parts.series.append(f'<text x="0" y="{middle}">{escape(bar.series)}</text>')
    track_fill = f' fill="url(#{hatch})"' if bar.hidden else ""
    parts.tracks.append(f'<rect y="{y}" width="100%" height="{BAR_HEIGHT}"{track_fill}/>')
    if bar.hidden:
        y += BAR_HEIGHT + 2
        for line in wrap(bar.text, STATUS_WRAP if wide else SERIES_STATUS_WRAP):
            parts.statuses.append(f'<text y="{y + STATUS_FONT}">{escape(line)}</text>')
            y += STATUS_LINE
        return y + BAR_GAP
    parts.bars[index % len(parts.bars)].append(
        f'<rect y="{y}" width="{bar.percent or 0}%" height="{BAR_HEIGHT}"/>'
    )
    parts.values.append(f'<text x="100%" y="{middle}">{escape(bar.text)}</text>')
    return y + BAR_HEIGHT + BAR_GAP


def _hatch(pattern_id: str) -> str:
    return (
        f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="8" height="8" '
        'patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{BACKGROUND}"/>'
        f'<rect width="2" height="8" fill="{HATCH_INK}"/></pattern>'
    )
