"""Everything published about two waves of a generated school, read back the way a reader would
(the school and class views, the trend views, the results and trend pages, and every export
format), holds no suppressed value that can be derived by subtraction across all of it.

Each school (classes of 3 to 35, many small classes, a school of one class) answers an autumn
and a spring wave. The reader's knowledge is the union of what every source shows: each source
must agree with the checked wave view cell by cell (status and numbers, nothing more), the
trend's change must exist only where both values are shown, and the union must resist the
recoverability check and the exact linear-algebra attacker of ``test_disclosure`` (and, for a
small school, the brute-force reader). Every file downloads twice byte for byte."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.content_catalog import catalog
from app.services import survey_results
from app.services.disclosure import Cell, Status, View, find_derivations
from tests.unit.test_disclosure import brute_force_pins, linear_derivations
from tests.web.test_survey_trends import Trended

Fact = tuple[str, int | None, int | None]  # status, numerator, denominator
Facts = dict[tuple[str, str], Fact]  # (unit name, indicator code) -> fact
SHOWN_TEXT = re.compile(r"(\d+)% \((\d+) of (\d+)\)")
CHANGE_TEXT = re.compile(r"([+−])(\d+) points|no change")


def answers(rng: random.Random, n: int, low: bool) -> list[dict[str, int]]:
    """``n`` respondents of the grades 5–11 fixture; ``low``: few meet the rules."""
    rows = []
    for _ in range(n):
        given: dict[str, int] = {}
        if rng.random() > 0.1:
            given["bullied"] = rng.choice([0, 0, 0, 0, 2]) if low else rng.randrange(5)
        if rng.random() > 0.15:
            given["cyber-messages"] = rng.choice([0, 0, 0, 3]) if low else rng.randrange(5)
        if rng.random() > 0.2:
            given["told-friend"] = rng.randrange(2)
        rows.append(given)
    return rows


SCHOOLS = {
    "classes of 3 to 35": (7, (3, 35)),
    "many small classes": (12, (3, 11)),
    "a school of one class": (1, (12, 30)),
    "a mixed school": (5, (8, 35)),
}


def generated(school: Trended, seed: int, classes: int, sizes: tuple[int, int]) -> tuple[int, int]:
    rng = random.Random(seed)  # noqa: S311
    ids = [school.mine, *(school.add_class(f"G{i:02d}") for i in range(1, classes))]
    waves = []
    for _wave in range(2):
        waves.append({c: answers(rng, rng.randint(*sizes), rng.random() < 0.4) for c in ids})
    return school.two_waves(waves[0], waves[1])


# -- the checked wave view, and what each source shows ---------------------------------------


def wave_facts(results: survey_results.WaveResults) -> Facts:
    return {
        (unit.name, cell.code): (cell.status, cell.numerator, cell.denominator)
        for unit in (results.school, *results.classes)
        for cell in unit.cells
    }


def merge(into: Facts, found: Facts, source: str) -> None:
    for key, fact in found.items():
        assert into.setdefault(key, fact) == fact, f"{source} disagrees on {key}"


def number(value: Any) -> int | None:
    return None if value in ("", None) else int(value)


def table_facts(rows: list[dict[str, Any]], suffix: str = "") -> Facts:
    facts: Facts = {}
    for row in rows:
        code = row["Indicator code"]
        if not code:
            continue  # a unit with nothing counted: one row saying why
        status = row[f"Status{suffix}"]
        x, n = number(row[f"Numerator{suffix}"]), number(row[f"Denominator{suffix}"])
        if status != "ok":
            assert (x, n) == (None, None), "a hidden cell carries no number"
            assert row["Why not shown"], "a hidden cell carries its reason"
        facts[(row["Class or school"], code)] = (status, x, n)
    return facts


def csv_dicts(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_dicts(body: bytes) -> list[dict[str, Any]]:
    book = load_workbook(io.BytesIO(body))
    rows = []
    for name in ("School", "Classes"):
        header, *values = list(book[name].iter_rows(values_only=True))
        rows.extend(dict(zip(header, row, strict=True)) for row in values)
    return rows


def shown_texts(text: str) -> Counter[tuple[int, int, int]]:
    flat = " ".join(text.split())
    return Counter(tuple(int(v) for v in m.groups()) for m in SHOWN_TEXT.finditer(flat))


def expected_texts(facts: list[Fact]) -> Counter[tuple[int, int, int]]:
    return Counter(
        (round_half_up(100 * x / n), x, n)
        for status, x, n in facts
        if status == "ok" and x is not None and n
    )


def round_half_up(value: float) -> int:
    return int(value + 0.5)


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def download(client: Any, url: str) -> bytes:
    first = client.get(url)
    assert first.status_code == 200, url
    assert client.get(url).data == first.data, f"{url} re-downloads byte for byte"
    return bytes(first.data)


def as_view(results: survey_results.WaveResults, facts: Facts) -> View:
    """The reader's knowledge of one wave as a ``View``: the tree, respondents, the cells."""
    school_key = results.school.name
    parents: dict[str, str | None] = {school_key: None}
    levels = {school_key: "school"}
    respondents = {school_key: results.school.respondents}
    for unit in results.classes:
        parents[unit.name] = school_key
        levels[unit.name] = "class"
        respondents[unit.name] = unit.respondents
    cells = {
        (unit, code): Cell(unit, code, Status(status), x, n)
        for (unit, code), (status, x, n) in facts.items()
    }
    return View(parents, levels, respondents, cells)


def attack(view: View, small: bool) -> None:
    assert not [d for d in find_derivations(view) if d.blocking]
    for code in {code for _unit, code in view.cells}:
        linear = linear_derivations(view, code)
        assert not {d for d in linear if d[1] != "denominator"}, (code, linear)
        if small:
            assert brute_force_pins(view, code) == set(), code


@pytest.mark.parametrize("kind", sorted(SCHOOLS))
@pytest.mark.parametrize("seed", [1, 2])
def test_nothing_hidden_can_be_derived_from_every_view_and_export(
    app: Any, platform: Any, kind: str, seed: int
) -> None:
    school = Trended(app, platform)
    classes, sizes = SCHOOLS[kind]
    autumn, spring = generated(school, seed, classes, sizes)
    coordinator = school.people.coordinator
    with app.app_context():
        checked = {
            w: survey_results.wave_results(w, school_id=school.school_id, catalog=catalog())
            for w in (autumn, spring)
        }
        trends = survey_results.school_trends(
            autumn, spring, school_id=school.school_id, catalog=catalog()
        )
        class_views = {
            w: [
                survey_results.class_results(w, class_id=c.unit_id, catalog=catalog())
                for c in checked[w].classes
            ]
            for w in (autumn, spring)
        }
        class_trends = [
            survey_results.class_trend(autumn, spring, class_id=t.unit_id, catalog=catalog())
            for t in trends.classes
        ]
    truth = {w: wave_facts(checked[w]) for w in (autumn, spring)}
    known: dict[int, Facts] = {autumn: {}, spring: {}}
    for wave in (autumn, spring):
        merge(known[wave], truth[wave], "the school view")
        for unit in class_views[wave]:
            merge(known[wave], {(unit.name, c.code): fact_of(c) for c in unit.cells}, "a class")
        merge(known[wave], table_facts(csv_dicts(download(coordinator, url(wave, "csv")))), "csv")
        xlsx = xlsx_dicts(download(coordinator, url(wave, "xlsx")))
        merge(known[wave], table_facts(xlsx), "xlsx")
        page = coordinator.get(f"/surveys/waves/{wave}/results").get_data(as_text=True)
        assert shown_texts(page) == expected_texts(list(truth[wave].values())), "page"
        pdf = pdf_text(download(coordinator, url(wave, "pdf")))
        assert shown_texts(pdf) == expected_texts(list(truth[wave].values())), "pdf"
    for unit in (trends.school, *trends.classes, *class_trends):
        assert (unit.status == "ok") == ("below_gate" not in unit.unit_status)
        for row in unit.rows:
            merge(known[autumn], {(unit.name, row.code): fact_of(row.autumn)}, "trend autumn")
            merge(known[spring], {(unit.name, row.code): fact_of(row.spring)}, "trend spring")
            both = row.autumn.shown and row.spring.shown
            assert (row.change is not None) == both, "a change only where both are shown"
    trend_rows = csv_dicts(download(coordinator, trend_url(autumn, spring, "csv")))
    trend_xlsx = xlsx_dicts(download(coordinator, trend_url(autumn, spring, "xlsx")))
    for rows in (trend_rows, trend_xlsx):
        merge(known[autumn], table_facts(rows, " in autumn"), "trend file, autumn")
        merge(known[spring], table_facts(rows, " in spring"), "trend file, spring")
        for row in rows:
            both = row["Status in autumn"] == row["Status in spring"] == "ok"
            assert (number(row["Change in percentage points"]) is not None) == both
    trend_facts = [
        fact_of(cell)
        for unit in (trends.school, *trends.classes)
        for row in unit.rows
        for cell in (row.autumn, row.spring)
    ]
    trend_page = coordinator.get(f"/surveys/trends/{autumn}/{spring}").get_data(as_text=True)
    assert shown_texts(trend_page) == expected_texts(trend_facts), "trend page"
    trend_pdf = pdf_text(download(coordinator, trend_url(autumn, spring, "pdf")))
    assert shown_texts(trend_pdf) == expected_texts(trend_facts), "trend pdf"
    for wave in (autumn, spring):
        assert known[wave] == truth[wave], "no source shows more than the checked wave view"
        attack(as_view(checked[wave], known[wave]), small=classes <= 2)


def fact_of(cell: survey_results.ResultCell) -> Fact:
    return (cell.status, cell.numerator, cell.denominator)


def url(wave: int, ext: str) -> str:
    return f"/surveys/waves/{wave}/results.{ext}"


def trend_url(autumn: int, spring: int, ext: str) -> str:
    return f"/surveys/trends/{autumn}/{spring}/results.{ext}"
