"""The result charts: only published values become bars, a hidden value is a hatched track with
its status in words, every text is escaped, colours meet WCAG contrast on white, and neither
colour nor position alone tells a trend's waves apart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from app.services import result_charts
from app.services.result_charts import ChartWords, svg, trend_chart, unit_chart, wrap
from app.services.survey_results import ResultCell, Trend, TrendRow, UnitResults

SVG = "{http://www.w3.org/2000/svg}"
TOO_FEW = "Not shown: too few answers to protect anonymity"
WORDS = ChartWords(
    "Bar chart of 7A; the numbers are in the table below.",
    statuses={"suppressed_primary": TOO_FEW, "suppressed_secondary": "Not shown: hidden as well"},
    series=("Autumn", "Spring"),
)


def cell(code: str, status: str = "ok", x: int | None = None, n: int | None = None) -> ResultCell:
    label = {"en": f"Indicator {code} with a label long enough to wrap on a phone"}
    return ResultCell(code, label, "prevalence", status, x, n)


def unit(*cells: ResultCell) -> UnitResults:
    return UnitResults("class", 7, "7A", "grades-5-9", "s", 25, "ok", cells)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 (markup the test itself made)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_a_shown_value_is_a_bar_with_its_number() -> None:
    root = parse(svg(unit_chart(unit(cell("a", "ok", 8, 20)), "en", WORDS), "c1"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == WORDS.name
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("width", "").endswith("%")]
    widths = sorted(float(r.get("width", "0").rstrip("%")) for r in bars)
    assert widths == [40, 100]  # in the nested <svg> that spans the track
    assert "40%" in texts(root)


def test_a_hidden_value_is_hatched_with_its_status_and_no_number() -> None:
    chart = unit_chart(unit(cell("a", "suppressed_primary")), "en", WORDS)
    (row,) = chart.rows
    assert row.bars[0].hidden
    assert row.bars[0].percent is None
    root = parse(svg(chart, "c2"))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert "url(#c2-hatch)" in fills
    words = " ".join(texts(root))
    assert "Not shown: too few answers to" in words
    assert not re.search(r"\d", words.replace(row.label, "")), "no number for a hidden value"


def test_a_trend_names_each_bar_by_its_wave() -> None:
    rows = (
        TrendRow(
            "a", cell("a").label, "prevalence", cell("a", "ok", 5, 20), cell("a", "ok", 10, 20), 25
        ),
        TrendRow(
            "b",
            cell("b").label,
            "prevalence",
            cell("b", "suppressed_secondary"),
            cell("b", "ok", 6, 12),
            None,
        ),
    )
    trend = Trend("class", 7, "ok", rows, "7A", (20, 20))
    chart = trend_chart(trend, "en", WORDS)
    assert [[bar.series for bar in row.bars] for row in chart.rows] == [["Autumn", "Spring"]] * 2
    root = parse(svg(chart, "t1"))
    found = texts(root)
    assert found.count("Autumn") == 2
    assert found.count("Spring") == 2
    assert "25%" in found
    assert "50%" in found
    fills = {g.get("fill") for g in root.iter(f"{SVG}g")}
    assert set(result_charts.SERIES_FILLS) <= fills


def test_every_text_is_escaped() -> None:
    hostile = ResultCell("a", {"en": '<script>alert("x")</script> & co'}, "prevalence", "ok", 5, 10)
    markup = svg(unit_chart(unit(hostile), "en", ChartWords('"><img src=x>')), "c3")
    assert "<script>" not in markup
    assert "<img" not in markup
    parse(markup)  # still well-formed


def test_ids_are_unique_per_chart_and_an_empty_unit_draws_nothing() -> None:
    one = svg(unit_chart(unit(cell("a", "suppressed_primary")), "en", WORDS), "chart-class-1")
    two = svg(unit_chart(unit(cell("a", "suppressed_primary")), "en", WORDS), "chart-class-2")
    ids = re.findall(r'id="([^"]+)"', one + two)
    assert len(ids) == len(set(ids)) == 2
    assert svg(unit_chart(unit(), "en", WORDS), "c4") == ""


def test_labels_wrap_to_fit_a_phone() -> None:
    lines = wrap("Буллингтің кемінде бір түріне айына екі-үш рет не одан жиі тап болғандар", 28)
    assert len(lines) > 1
    assert all(len(line) <= 28 for line in lines)
    assert wrap("", 28) == [""]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, two: str) -> float:
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_meet_wcag_contrast_on_white() -> None:
    white = result_charts.BACKGROUND
    for text in (result_charts.INK, result_charts.MUTED):
        assert contrast(text, white) >= 4.5
    for graphic in (*result_charts.SERIES_FILLS, result_charts.TRACK, result_charts.HATCH_INK):
        assert contrast(graphic, white) >= 3.0
