"""A choropleth of areas as a server-side SVG string, plus the rows of the table beside it.

Pure functions: shapes, values, names and labels in, markup out (no Flask, no database), so
the same map serves the coordinator pages and any export. The SVG needs no script, no font
and no style sheet (the page's Content-Security-Policy allows no inline styles, so colours
are presentation attributes).

Boundaries come from ``app/data/areas/shapes_2024.json``, built once from the geokz
boundaries (CC BY 4.0) by ``tools/build_area_shapes.py``: projected, simplified SVG paths per
KATO code, regions at 1,000 units across the country, districts at 8,000.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Any

SHAPES_FILE = Path(__file__).resolve().parents[1] / "data" / "areas" / "shapes_2024.json"
# ColorBrewer YlGnBu, 5 classes: sequential and safe for colour-blind readers.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA_FILL = "#d9d9d9"
UNAVAILABLE_FILL = "#f7f7f7"
HATCH_INK = "#444444"
BORDER = "#666666"
CANVAS_WIDTH = 1000
MAP_MAX_HEIGHT = 620
LEGEND_ROW = 52
FONT_SIZE = 30

OK = "ok"
SUPPRESSED = "suppressed"
BELOW_GATE = "below_gate"
NO_DATA = "no_data"
UNAVAILABLE = "unavailable"  # in scope, but no figure: nothing was there to count
HIDDEN = frozenset({SUPPRESSED, BELOW_GATE})


@dataclass(frozen=True)
class Shape:
    """One area's outline: an SVG path and its bounding box, in the level's units."""

    d: str
    bbox: tuple[int, int, int, int]


@dataclass(frozen=True)
class AreaValue:
    """What the map shows for one area: a number (``ok``), or why it shows none."""

    status: str  # ok | suppressed | below_gate | unavailable (suppressed_* count as suppressed)
    value: float | None = None

    @classmethod
    def of(cls, status: str, value: float | None = None) -> AreaValue:
        kind = SUPPRESSED if status.startswith("suppressed") else status
        if kind not in (OK, SUPPRESSED, BELOW_GATE, UNAVAILABLE):
            raise ValueError(f"unknown status {status!r}")
        if kind == OK and value is None:
            raise ValueError("an ok value needs a number")
        return cls(kind, value if kind == OK else None)


@dataclass(frozen=True)
class MapLabels:
    """The words of a map, already translated by the caller."""

    title: str
    description: str
    hidden: str  # the legend entry for hatched areas: why their value is not shown
    no_data: str
    status_text: Mapping[str, str]  # suppressed / below_gate / no_data -> words for the table
    unavailable: str = ""  # the legend entry for areas with nothing to count (and its text)


@dataclass(frozen=True)
class LegendEntry:
    label: str
    fill: str  # a colour, or "hatch"


@dataclass(frozen=True)
class MapRow:
    """A row of the table beside the map."""

    kato: str
    name: str
    status: str
    value: float | None
    text: str  # the value formatted, or the status in words
    fill: str


@dataclass(frozen=True)
class RenderedMap:
    svg: str
    rows: list[MapRow]
    legend: list[LegendEntry]


@cache
def _shape_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHAPES_FILE.read_text(encoding="utf-8"))
    return data


def region_shapes() -> dict[str, Shape]:
    """The 20 regions (17 oblys and the 3 cities of republican significance)."""
    return _shapes("region", lambda code: True)


def district_shapes(region_code: str) -> dict[str, Shape]:
    """The districts and cities of one region (KATO codes sharing its two-digit prefix)."""
    prefix = region_code[:2]
    return _shapes("district", lambda code: code[:2] == prefix)


def _shapes(level: str, wanted: Callable[[str], bool]) -> dict[str, Shape]:
    return {
        code: Shape(item["d"], tuple(item["bbox"]))
        for code, item in _shape_data()[level]["shapes"].items()
        if wanted(code)
    }


def format_number(value: float) -> str:
    """Whole numbers without decimals, others with one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def classes(values: list[float], count: int = len(PALETTE)) -> list[tuple[float, float]]:
    """Equal-interval classes (low, high) over the values; fewer when whole numbers leave a
    class empty, one when every value is the same."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [(low, high)]
    step = (high - low) / count
    edges = [low + i * step for i in range(count + 1)]
    if not all(float(v).is_integer() for v in values):
        return list(pairwise(edges))
    found: list[tuple[float, float]] = []
    for i in range(count):
        first = math.ceil(edges[i]) if i == 0 else math.floor(edges[i]) + 1
        last = math.floor(edges[i + 1])
        first = max(first, int(found[-1][1]) + 1) if found else first
        if first <= last:
            found.append((first, last))
    return found


def _class_colours(n: int) -> list[str]:
    if n == 1:
        return [PALETTE[len(PALETTE) // 2]]
    return [PALETTE[round(i * (len(PALETTE) - 1) / (n - 1))] for i in range(n)]


def _fill_for(value: float, bounds: list[tuple[float, float]], colours: list[str]) -> str:
    for (_, high), colour in zip(bounds, colours, strict=True):
        if value <= high:
            return colour
    return colours[-1]


def render_map(
    shapes: Mapping[str, Shape],
    values: Mapping[str, AreaValue],
    names: Mapping[str, str],
    labels: MapLabels,
    *,
    id_prefix: str = "map",
    fmt: Callable[[float], str] = format_number,
) -> RenderedMap:
    """The SVG choropleth of ``shapes`` coloured by ``values`` (an area missing from
    ``values`` has no data), with its legend and the table rows, sorted by name."""
    numbers = [v.value for v in values.values() if v.status == OK and v.value is not None]
    bounds = classes(numbers)
    colours = _class_colours(len(bounds))
    rows = [
        _row(code, names.get(code, code), values.get(code), labels, bounds, colours, fmt)
        for code in shapes
    ]
    rows.sort(key=lambda r: (r.name, r.kato))
    legend = [
        LegendEntry(fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}", colour)
        for (low, high), colour in zip(bounds, colours, strict=True)
    ]
    if any(r.status in HIDDEN for r in rows):
        legend.append(LegendEntry(labels.hidden, "hatch"))
    if any(r.status == UNAVAILABLE for r in rows):
        legend.append(LegendEntry(labels.unavailable, UNAVAILABLE_FILL))
    if any(r.status == NO_DATA for r in rows):
        legend.append(LegendEntry(labels.no_data, NO_DATA_FILL))
    svg = _svg(shapes, {r.kato: r for r in rows}, legend, labels, id_prefix)
    return RenderedMap(svg=svg, rows=rows, legend=legend)


def _row(
    code: str,
    name: str,
    value: AreaValue | None,
    labels: MapLabels,
    bounds: list[tuple[float, float]],
    colours: list[str],
    fmt: Callable[[float], str],
) -> MapRow:
    if value is None:
        return MapRow(code, name, NO_DATA, None, labels.status_text[NO_DATA], NO_DATA_FILL)
    if value.status == UNAVAILABLE:
        text = labels.status_text[UNAVAILABLE]
        return MapRow(code, name, UNAVAILABLE, None, text, UNAVAILABLE_FILL)
    if value.status in HIDDEN or value.value is None:
        return MapRow(code, name, value.status, None, labels.status_text[value.status], "hatch")
    return MapRow(
        code, name, OK, value.value, fmt(value.value), _fill_for(value.value, bounds, colours)
    )


def _svg(
    shapes: Mapping[str, Shape],
    rows: Mapping[str, MapRow],
    legend: list[LegendEntry],
    labels: MapLabels,
    prefix: str,
) -> str:
    x0 = min(s.bbox[0] for s in shapes.values())
    y0 = min(s.bbox[1] for s in shapes.values())
    x1 = max(s.bbox[2] for s in shapes.values())
    y1 = max(s.bbox[3] for s in shapes.values())
    pad = 10
    scale = min((CANVAS_WIDTH - 2 * pad) / max(x1 - x0, 1), MAP_MAX_HEIGHT / max(y1 - y0, 1))
    map_height = round((y1 - y0) * scale) + 2 * pad
    hatch = f"{prefix}-hatch"
    legend_svg, legend_height = _legend_svg(legend, map_height, hatch)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CANVAS_WIDTH} '
        f'{map_height + legend_height}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" class="area-map">',
        f'<title id="{prefix}-title">{escape(labels.title)}</title>',
        f'<desc id="{prefix}-desc">{escape(labels.description)}</desc>',
        # The map's pattern lives in the map's units (scaled); the legend's in the canvas's.
        f"<defs>{_hatch(hatch, 8 / scale)}{_hatch(hatch + '-l', 8)}</defs>",
        f'<g transform="translate({pad + ((CANVAS_WIDTH - 2 * pad) - (x1 - x0) * scale) / 2:.1f} '
        f'{pad}) scale({scale:.4f}) translate({-x0} {-y0})" stroke="{BORDER}" '
        'stroke-width="0.6" stroke-linejoin="round">',
    ]
    for code, shape in shapes.items():
        row = rows[code]
        fill = f"url(#{hatch})" if row.fill == "hatch" else row.fill
        out.append(
            f'<path d="{shape.d}" fill="{fill}" vector-effect="non-scaling-stroke" '
            f'data-kato="{code}"><title>{escape(row.name)}: {escape(row.text)}</title></path>'
        )
    out.append("</g>")
    out.append(legend_svg)
    out.append("</svg>")
    return "".join(out)


def _hatch(pattern_id: str, tile: float) -> str:
    return (
        f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="{tile:.2f}" '
        f'height="{tile:.2f}" patternTransform="rotate(45)">'
        f'<rect width="{tile:.2f}" height="{tile:.2f}" fill="#ffffff"/>'
        f'<rect width="{tile / 3:.2f}" height="{tile:.2f}" fill="{HATCH_INK}"/></pattern>'
    )


def _legend_svg(legend: list[LegendEntry], top: int, hatch: str) -> tuple[str, int]:
    """The legend under the map: the colour classes on one line, then one line for each
    other entry (their explanations are longer); returns the markup and its height."""
    parts = [f'<g font-size="{FONT_SIZE}" font-family="sans-serif" fill="#1a1a1a">']
    x, y = 10, top
    width = CANVAS_WIDTH // len(PALETTE)
    for entry in legend:
        special = entry.fill in ("hatch", NO_DATA_FILL, UNAVAILABLE_FILL)
        if special and x > 10:
            x, y = 10, y + LEGEND_ROW
        fill = f"url(#{hatch}-l)" if entry.fill == "hatch" else entry.fill
        parts.append(
            f'<rect x="{x}" y="{y}" width="40" height="32" fill="{fill}" stroke="{BORDER}"/>'
            f'<text x="{x + 50}" y="{y + 26}">{escape(entry.label)}</text>'
        )
        x = 10 if special else x + width
        y = y + LEGEND_ROW if special else y
    parts.append("</g>")
    return "".join(parts), y - top + (LEGEND_ROW if x > 10 else 0) + 10
