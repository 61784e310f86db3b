"""Everything published about two waves of a generated school, read back the way a reader would
(the school and class views, the trend views, the results and trend pages with the class pages
they link to, and every export format), holds no suppressed value that can be derived by
subtraction across all of it.

Each school (classes of 3 to 35, many small classes, a school of one class) answers an autumn
and a spring wave. The reader's knowledge is the union of what every source shows: each source
must agree with the checked wave view cell by cell (status and numbers, nothing more), the
trend's change must exist only where both values are shown, and the union must resist the
recoverability check and the exact linear-algebra attacker of ``test_disclosure`` (and, for a
small school, the brute-force reader). Every file downloads twice byte for byte. The school
pages show the school in full and a table of classes; the class pages they link to, read with
the school page, give back every cell of the wave (and of the trend), status for status and
number for number, as the single long page did before."""

from __future__ import annotations

import csv
import html
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
        merge(known[wave], read_wave_pages(coordinator, wave, checked[wave]), "the pages")
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
    for (unit, code), (in_autumn, in_spring, _change) in read_trend_pages(
        coordinator, autumn, spring, trends
    ).items():
        merge(known[autumn], {(unit, code): in_autumn}, "trend pages, autumn")
        merge(known[spring], {(unit, code): in_spring}, "trend pages, spring")
    trend_pdf = pdf_text(download(coordinator, trend_url(autumn, spring, "pdf")))
    assert shown_texts(trend_pdf) == expected_texts(trend_facts), "trend pdf"
    for wave in (autumn, spring):
        assert known[wave] == truth[wave], "no source shows more than the checked wave view"
        attack(as_view(checked[wave], known[wave]), small=classes <= 2)


# -- what the results and trend pages show, cell by cell -------------------------------------

SECTION = re.compile(r'<section class="card">\s*<h2[^>]*>([^<]*)</h2>(.*?)</section>', re.S)
RESULT_ROW = re.compile(
    r'<tr><th scope="row">([^<]*)</th><td>[^<]*</td>'
    r'(?:<td>([^<]*)</td>|<td class="suppressed" data-status="(\w+)">[^<]*</td>)</tr>'
)
CELL = r'(?:<td>([^<]*)</td>|<td class="suppressed" data-status="(\w+)">[^<]*</td>)'
TREND_ROW = re.compile(
    rf'<tr><th scope="row">([^<]*)</th>{CELL}{CELL}<td(?: class="suppressed")?>([^<]*)</td></tr>'
)
CLASS_ROW = re.compile(
    r'<tr><th scope="row"><a href="([^"]*)">([^<]*)</a></th>((?:<td[^>]*>[^<]*</td>)+)</tr>'
)
TD = re.compile(r'<td(?: class="suppressed" data-status="(\w+)")?>([^<]*)</td>')
BELOW_GATE_NOTICE = "Not shown: too few answers to protect anonymity"
Change = int | None
TrendFacts = dict[tuple[str, str], tuple[Fact, Fact, Change]]


def shown_fact(text: str | None, status: str | None) -> Fact:
    if status:
        return (status, None, None)
    found = SHOWN_TEXT.fullmatch(html.unescape(text or ""))
    assert found, text
    _percent, x, n = (int(v) for v in found.groups())
    return ("ok", x, n)


def code_of(labels: dict[str, str], label: str) -> str:
    return labels[html.unescape(label)]


def units_of(page: str) -> dict[str, str]:
    """Each unit section of a page by its heading (the class table is not a unit)."""
    found = {html.unescape(name): body for name, body in SECTION.findall(page)}
    found.pop("Classes", None)
    return found


def result_page_facts(page: str, labels: dict[str, str]) -> tuple[Facts, set[str]]:
    """The cells a results page shows, and the units it says are below the gate."""
    facts: Facts = {}
    below: set[str] = set()
    for name, body in units_of(page).items():
        rows = RESULT_ROW.findall(body)
        if not rows:
            assert BELOW_GATE_NOTICE in body, name
            below.add(name)
        for label, text, status in rows:
            facts[(name, code_of(labels, label))] = shown_fact(text, status)
    return facts, below


def change_of(text: str) -> Change:
    found = CHANGE_TEXT.fullmatch(html.unescape(text))
    if found is None:
        return None
    if found.group(0) == "no change":
        return 0
    return (1 if found.group(1) == "+" else -1) * int(found.group(2))


def trend_page_facts(page: str, labels: dict[str, str]) -> TrendFacts:
    facts: TrendFacts = {}
    for name, body in units_of(page).items():
        for label, a_text, a_status, s_text, s_status, change in TREND_ROW.findall(body):
            facts[(name, code_of(labels, label))] = (
                shown_fact(a_text, a_status),
                shown_fact(s_text, s_status),
                change_of(change),
            )
    return facts


def class_table(page: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The rows of the class table: link, class name, and each cell's (status, text)."""
    return [
        (html.unescape(href), html.unescape(name), TD.findall(cells))
        for href, name, cells in CLASS_ROW.findall(page)
    ]


def labels_of(units: list[survey_results.UnitResults]) -> dict[str, str]:
    found: dict[str, str] = {}
    for unit in units:
        for cell in unit.cells:
            assert found.setdefault(cell.label["en"], cell.code) == cell.code
    return found


def read_wave_pages(client: Any, wave: int, checked: survey_results.WaveResults) -> Facts:
    """The school page and every class page it links to, checked against the wave view."""
    labels = labels_of([checked.school, *checked.classes])
    school_page = client.get(f"/surveys/waves/{wave}/results").get_data(as_text=True)
    facts, below = result_page_facts(school_page, labels)
    assert set(units_of(school_page)) == {checked.school.name}, "the school in full, alone"
    rows = class_table(school_page)
    assert [name for _href, name, _cells in rows] == [u.name for u in checked.classes]
    for (href, name, cells), unit in zip(rows, checked.classes, strict=True):
        assert href.startswith(f"/surveys/waves/{wave}/results/classes/{unit.unit_id}")
        (_, answered), (status, _text) = cells
        assert int(answered) == unit.respondents
        assert (status or "ok") == unit.status
        response = client.get(href)
        assert response.status_code == 200, href
        found, gated = result_page_facts(response.get_data(as_text=True), labels)
        assert {key[0] for key in found} | gated == {name}, "one class per page"
        merge(facts, found, f"the page of {name}")
        below |= gated
    expected = wave_facts(checked)
    for unit in (checked.school, *checked.classes):
        if unit.name in below:
            assert unit.status == "below_gate", unit.name
            for cell in unit.cells:
                assert cell.status == "below_gate", (unit.name, cell.code)
                facts[(unit.name, cell.code)] = fact_of(cell)
    assert facts == expected, "the pages show every cell as the wave view, nothing more"
    return facts


def read_trend_pages(
    client: Any, autumn: int, spring: int, trends: survey_results.WaveTrends
) -> TrendFacts:
    """The school trend page and every class page it links to, cell by cell."""
    labels = labels_of([trends.autumn.school, *trends.autumn.classes])
    labels.update(labels_of([trends.spring.school, *trends.spring.classes]))
    school_page = client.get(f"/surveys/trends/{autumn}/{spring}").get_data(as_text=True)
    facts = trend_page_facts(school_page, labels)
    rows = class_table(school_page)
    assert [name for _href, name, _cells in rows] == [u.name for u in trends.classes]
    for (href, name, cells), unit in zip(rows, trends.classes, strict=True):
        assert href.startswith(f"/surveys/trends/{autumn}/{spring}/classes/{unit.unit_id}")
        (_, in_autumn), (_, in_spring), (status, changes) = cells
        assert (int(in_autumn), int(in_spring)) == unit.respondents
        published = sum(1 for row in unit.rows if row.change is not None)
        assert (status, changes) == (
            ("", str(published)) if unit.status == "ok" and unit.rows else ("below_gate", changes)
        )
        response = client.get(href)
        assert response.status_code == 200, href
        found = trend_page_facts(response.get_data(as_text=True), labels)
        assert {key[0] for key in found} <= {name}, "one class per page"
        for key, fact in found.items():
            assert facts.setdefault(key, fact) == fact
    expected = {
        (unit.name, row.code): (fact_of(row.autumn), fact_of(row.spring), row.change)
        for unit in (trends.school, *trends.classes)
        for row in unit.rows
    }
    assert facts == expected, "the trend pages show every row as the trend, nothing more"
    return facts


def fact_of(cell: survey_results.ResultCell) -> Fact:
    return (cell.status, cell.numerator, cell.denominator)


def url(wave: int, ext: str) -> str:
    return f"/surveys/waves/{wave}/results.{ext}"


def trend_url(autumn: int, spring: int, ext: str) -> str:
    return f"/surveys/trends/{autumn}/{spring}/results.{ext}"
