"""Build the simplified area boundaries Qadam draws its maps with (run once, output committed).

    python tools/build_area_shapes.py SOURCE_DIR [--out app/data/areas/shapes_2024.json]

SOURCE_DIR holds ``kaz_adm1_2024.geojson`` and ``kaz_adm2_2024.geojson`` (geokz, CC BY 4.0;
see app/data/areas/ATTRIBUTION.md). The app never reads the GeoJSON: it reads the output, a
compact JSON of SVG path strings per KATO code, projected and simplified here with plain
Python (Douglas–Peucker), so neither the app nor its tests need the source files or a GIS
library.

Projection: equirectangular with longitudes scaled by cos(48°), the country's middle
latitude; y grows southwards as SVG's does. Regions are drawn at 1,000 units across the
country; the districts of each region at the scale that makes that region about 1,000 units
across (620 high), so Almaty city's districts are as detailed as Akmola's. A map is drawn
from one level and, for districts, one region, so each set has its own frame.
Paths use relative integer moves ("m", "l") to stay small.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

LAT0 = 48.0
LON_MIN, LON_MAX = 46.4, 87.4  # the country's extent, with a little margin
LAT_MAX = 55.5
LEVELS = {
    # level: (source file, country width in units, tolerance in units, smallest ring kept)
    "region": ("kaz_adm1_2024.geojson", 1000, 0.7, 2.0),
    "district": ("kaz_adm2_2024.geojson", 0, 1.0, 3.0),  # width per region: see below
}

Point = tuple[float, float]


def project(lon: float, lat: float, width: float) -> Point:
    scale = width / ((LON_MAX - LON_MIN) * math.cos(math.radians(LAT0)))
    x = (lon - LON_MIN) * math.cos(math.radians(LAT0)) * scale
    y = (LAT_MAX - lat) * scale
    return x, y


def _distance(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker, iterative (rings have thousands of points)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _area(ring: list[tuple[int, int]]) -> float:
    return abs(
        sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))
        / 2
    )


def ring_path(ring: list[tuple[int, int]], start: tuple[int, int]) -> str:
    """One closed ring as relative moves from ``start`` (the previous ring's first point)."""
    x0, y0 = ring[0]
    parts = [f"m{x0 - start[0]} {y0 - start[1]}"]
    steps = []
    px, py = x0, y0
    for x, y in ring[1:]:
        steps.append(f"{x - px} {y - py}")
        px, py = x, y
    parts.append("l" + " ".join(steps) + "z")
    return "".join(parts).replace(" -", "-")


def feature_path(geometry: dict, width: float, tolerance: float, min_area: float) -> tuple:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    rings = []
    for polygon in polygons:
        for ring in polygon:
            projected = [project(lon, lat, width) for lon, lat in ring[:-1]]
            simple = simplify([*projected, projected[0]], tolerance)[:-1]
            rounded: list[tuple[int, int]] = []
            for x, y in simple:
                point = (round(x), round(y))
                if not rounded or rounded[-1] != point:
                    rounded.append(point)
            if len(rounded) >= 3 and _area(rounded) >= min_area:
                rings.append(rounded)
    if not rings:  # a tiny unit: keep its largest ring however small
        raise SystemExit("a unit vanished: lower the tolerance")
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    d, start = [], (0, 0)
    for ring in rings:
        d.append(ring_path(ring, start))
        start = ring[0]
    d[0] = "M" + d[0][1:]  # the first move is absolute
    return "".join(d), [min(xs), min(ys), max(xs), max(ys)]


def _region_widths(features: list[dict]) -> dict[str, float]:
    """For each region (two-digit KATO prefix), the country width that draws it ~1,000 across."""
    boxes: dict[str, list[float]] = {}
    for feature in features:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        points = [project(lon, lat, 1000) for polygon in polygons for lon, lat in polygon[0]]
        box = boxes.setdefault(feature["properties"]["KATO"][:2], [1e9, 1e9, -1e9, -1e9])
        box[:] = [
            min(box[0], *(x for x, _ in points)),
            min(box[1], *(y for _, y in points)),
            max(box[2], *(x for x, _ in points)),
            max(box[3], *(y for _, y in points)),
        ]
    return {
        prefix: 1000 * min(1000 / (x1 - x0), 620 / (y1 - y0))
        for prefix, (x0, y0, x1, y1) in boxes.items()
    }


def build(source: Path) -> dict:
    out: dict = {"kato_version": "2024", "source": "geokz 1.0.2 (CC BY 4.0)"}
    for level, (name, width, tolerance, min_area) in LEVELS.items():
        features = json.loads((source / name).read_text(encoding="utf-8"))["features"]
        widths = _region_widths(features) if level == "district" else {}
        shapes = {}
        for feature in features:
            code = feature["properties"]["KATO"]
            unit_width = widths.get(code[:2], width)
            d, bbox = feature_path(feature["geometry"], unit_width, tolerance, min_area)
            shapes[code] = {"d": d, "bbox": bbox}
        out[level] = {"shapes": dict(sorted(shapes.items()))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument(
        "--out", type=Path, default=Path("app/data/areas/shapes_2024.json"), help="output file"
    )
    args = parser.parse_args()
    data = build(args.source)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    for level in LEVELS:
        size = sum(len(s["d"]) for s in data[level]["shapes"].values())
        print(f"{level}: {len(data[level]['shapes'])} shapes, {size:,} bytes of path data")


if __name__ == "__main__":
    main()
