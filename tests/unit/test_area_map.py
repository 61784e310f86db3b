"""The map renderer: a pure function from shapes and values to an accessible SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # our own output, never untrusted input

import pytest

from app.services import area_map
from app.services.area_map import AreaValue, MapLabels

SVG = "{http://www.w3.org/2000/svg}"
LABELS = MapLabels(
    title="Schools mapped, by region",
    description="Darker areas have more schools.",
    hidden="Hidden: too few answers or schools to show without risking anonymity",
    no_data="No data",
    status_text={"suppressed": "hidden", "below_gate": "too few", "no_data": "no data"},
)


def names(shapes: dict[str, area_map.Shape]) -> dict[str, str]:
    return {code: f"Area {code}" for code in shapes}


def test_the_region_map_has_20_areas_each_with_a_title_and_a_hatched_suppressed_one() -> None:
    shapes = area_map.region_shapes()
    assert len(shapes) == 20
    values = {code: AreaValue.of("ok", i) for i, code in enumerate(sorted(shapes))}
    values["110000000"] = AreaValue.of("suppressed_primary")
    values["750000000"] = AreaValue.of("below_gate")
    rendered = area_map.render_map(shapes, values, names(shapes), LABELS)
    print(f"region map SVG: {len(rendered.svg.encode()):,} bytes")
    assert len(rendered.svg.encode()) < 40_000

    root = ET.fromstring(rendered.svg)  # noqa: S314  # well-formed XML
    assert root.get("role") == "img"
    labelled_by = root.get("aria-labelledby").split()
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert set(labelled_by) <= ids
    assert root.find(f"{SVG}title").text == LABELS.title
    paths = {p.get("data-kato"): p for p in root.iter(f"{SVG}path")}
    assert len(paths) == 20
    assert all(p.find(f"{SVG}title") is not None for p in paths.values())
    assert paths["110000000"].find(f"{SVG}title").text == "Area 110000000: hidden"
    assert paths["110000000"].get("fill") == "url(#map-hatch)"
    assert paths["750000000"].get("fill") == "url(#map-hatch)"
    assert root.find(f".//{SVG}pattern[@id='map-hatch']") is not None
    assert any(t.text == LABELS.hidden for t in root.iter(f"{SVG}text"))
    # Five sequential classes from the colour-blind-safe palette.
    fills = {p.get("fill") for p in paths.values()} - {"url(#map-hatch)"}
    assert fills == set(area_map.PALETTE)
    rows = {row.kato: row for row in rendered.rows}
    assert rows["110000000"].status == "suppressed"
    assert rows["110000000"].value is None
    assert rows["110000000"].text == "hidden"
    assert rows["750000000"].text == "too few"


def test_districts_of_one_region_are_drawn_from_their_own_subset() -> None:
    shapes = area_map.district_shapes("750000000")  # Almaty city
    assert shapes
    assert all(code.startswith("75") for code in shapes)
    rendered = area_map.render_map(shapes, {}, names(shapes), LABELS, id_prefix="d")
    print(f"Almaty city districts SVG: {len(rendered.svg.encode()):,} bytes")
    root = ET.fromstring(rendered.svg)  # noqa: S314
    assert len(list(root.iter(f"{SVG}path"))) == len(shapes)
    assert {row.status for row in rendered.rows} == {"no_data"}
    assert [entry.label for entry in rendered.legend] == ["No data"]
    biggest = max(
        len(area_map.render_map(area_map.district_shapes(f"{r}0000000"), {}, {}, LABELS).svg)
        for r in {code[:2] for code in area_map.region_shapes()}
    )
    print(f"largest district map SVG: {biggest:,} bytes")
    assert biggest < 40_000


def test_text_is_escaped() -> None:
    shapes = area_map.district_shapes("710000000")
    evil = dict.fromkeys(shapes, "<script>alert(1)</script>")
    rendered = area_map.render_map(shapes, {}, evil, LABELS)
    assert "<script>" not in rendered.svg
    ET.fromstring(rendered.svg)  # noqa: S314


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([3, 3], [(3, 3)]),
        ([0, 10], [(0, 2), (3, 4), (5, 6), (7, 8), (9, 10)]),
        ([0, 2], [(0, 0), (1, 1), (2, 2)]),
        ([0.0, 0.5], [(0.0, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.5)]),
    ],
)
def test_classes(values: list[float], expected: list[tuple[float, float]]) -> None:
    found = area_map.classes(values)
    assert [pytest.approx(pair) for pair in found] == expected


def test_an_unknown_status_or_an_ok_without_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        AreaValue.of("secret")
    with pytest.raises(ValueError, match="needs a number"):
        AreaValue.of("ok")
