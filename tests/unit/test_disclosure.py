"""Disclosure control on hand-made and generated trees: gate, the k = 5 rule on both sides,
complementary suppression, and a recoverability check that no reader can beat by subtraction
(checked against two independent attackers: exact linear algebra, and brute force over every
assignment a small school's published view allows)."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.disclosure import (
    Cell,
    NotPublishable,
    Rules,
    Status,
    Unit,
    View,
    find_derivations,
    protect,
    require_publishable,
)
from app.services.survey_results import ResultCell, UnitResults, trend

CODE = "bullied-2m-v1"


def school(classes: list[tuple[int, int, int]], code: str = CODE) -> list[Unit]:
    """A school ``s`` over classes ``c0, c1, …``, each ``(respondents, numerator, denominator)``."""
    units = [Unit(f"c{i}", "s", "class", r, {code: (x, n)}) for i, (r, x, n) in enumerate(classes)]
    total = (sum(c[1] for c in classes), sum(c[2] for c in classes))
    return [*units, Unit("s", None, "school", sum(c[0] for c in classes), {code: total})]


def statuses(view: View, code: str = CODE) -> dict[str, Status]:
    return {unit: cell.status for (unit, c), cell in view.cells.items() if c == code}


def everyone(r: int, x: int) -> tuple[int, int, int]:
    return (r, x, r)


# -- gate and cell rule ---------------------------------------------------------------------


def test_the_gate_is_ten_respondents() -> None:
    nine = protect(school([everyone(9, 5)]))
    assert set(statuses(nine).values()) == {Status.BELOW_GATE}
    assert all(c.numerator is None and c.denominator is None for c in nine.cells.values())
    ten = protect(school([everyone(10, 5)]))
    assert set(statuses(ten).values()) == {Status.OK}
    assert ten.cells[("c0", CODE)].numerator == 5


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (4, Status.SUPPRESSED_PRIMARY),  # too few met the rule
        (16, Status.SUPPRESSED_PRIMARY),  # too few did not: the complement is 4
        (5, Status.OK),
        (15, Status.OK),
        (0, Status.SUPPRESSED_PRIMARY),
        (20, Status.SUPPRESSED_PRIMARY),
    ],
)
def test_the_cell_rule_on_both_sides(x: int, expected: Status) -> None:
    view = protect(school([everyone(20, x), everyone(25, 12), everyone(25, 10)]))
    assert view.cells[("c0", CODE)].status is expected


def test_a_shown_cell_carries_its_numbers_and_a_hidden_one_none() -> None:
    view = protect(school([everyone(20, 4), everyone(20, 10), everyone(25, 12)]))
    hidden = view.cells[("c0", CODE)]
    assert (hidden.numerator, hidden.denominator) == (None, None)
    shown = view.cells[("c2", CODE)]
    assert (shown.numerator, shown.denominator) == (12, 25)


def test_rules_may_only_be_stricter() -> None:
    with pytest.raises(ValueError, match="stricter"):
        Rules(k=3)
    with pytest.raises(ValueError, match="stricter"):
        Rules(gate=5)
    assert Rules(k=6, gate=15).method == "sdc-v1:gate15,k6"
    assert Rules().method == "sdc-v1:gate10,k5"


def test_a_stricter_gate_applies_to_its_level_only() -> None:
    units = school([everyone(12, 6), everyone(12, 6)])
    view = protect(units, {"class": Rules(gate=15), "school": Rules()})
    assert statuses(view) == {
        "c0": Status.BELOW_GATE,
        "c1": Status.BELOW_GATE,
        "s": Status.OK,
    }


# -- complementary suppression --------------------------------------------------------------


def test_one_hidden_class_takes_the_smallest_shown_sibling_with_it() -> None:
    view = protect(school([everyone(20, 4), everyone(30, 10), everyone(22, 11), everyone(25, 9)]))
    assert statuses(view) == {
        "c0": Status.SUPPRESSED_PRIMARY,
        "c1": Status.OK,
        "c2": Status.SUPPRESSED_SECONDARY,  # n = 22, the smallest shown sibling
        "c3": Status.OK,
        "s": Status.OK,
    }


def test_a_class_below_the_gate_needs_a_hidden_sibling_too() -> None:
    view = protect(school([everyone(9, 3), everyone(30, 10), everyone(30, 12)]))
    assert statuses(view)["c0"] is Status.BELOW_GATE
    assert sum(s.hidden for s in statuses(view).values()) == 2


def test_a_school_of_one_class_hides_both_or_neither() -> None:
    hidden = protect(school([everyone(25, 3)]))
    assert statuses(hidden) == {"c0": Status.SUPPRESSED_PRIMARY, "s": Status.SUPPRESSED_PRIMARY}
    shown = protect(school([everyone(25, 8)]))
    assert statuses(shown) == {"c0": Status.OK, "s": Status.OK}
    small = protect(school([everyone(8, 3)]))
    assert statuses(small) == {"c0": Status.BELOW_GATE, "s": Status.BELOW_GATE}


def test_a_secondary_cell_is_not_chosen_where_its_status_gives_it_away() -> None:
    # 5 of 10 passes the rule; hidden as secondary it could only be 5 of 10.
    view = protect(school([everyone(20, 10), everyone(10, 5), everyone(30, 3)]))
    assert statuses(view)["c1"] is Status.OK
    assert statuses(view)["c0"] is Status.SUPPRESSED_SECONDARY


def test_hidden_classes_that_sum_to_zero_are_not_left_alone() -> None:
    # Two hidden classes whose shown total leaves 0 between them would both be 0 of 20.
    view = protect(school([everyone(20, 0), everyone(20, 0), everyone(20, 8), everyone(25, 12)]))
    assert [d for d in find_derivations(view) if d.blocking] == []
    assert statuses(view)["s"] is Status.OK


def test_codes_of_other_instruments_are_separate_sums() -> None:
    units = [
        Unit("c0", "s", "class", 20, {"a": (4, 20)}),
        Unit("c1", "s", "class", 25, {"a": (10, 25)}),
        Unit("c2", "s", "class", 12, {"climate": (6, 12)}),
        Unit("s", None, "school", 57, {"a": (14, 45), "climate": (6, 12)}),
    ]
    view = protect(units)
    assert view.cells[("c2", "climate")].status is Status.OK
    assert view.cells[("s", "climate")].numerator == 6
    assert view.cells[("c1", "a")].status is Status.SUPPRESSED_SECONDARY
    assert ("c2", "a") not in view.cells


def test_a_parent_that_is_not_its_childrens_sum_is_refused() -> None:
    units = [Unit("c0", "s", "class", 20, {CODE: (5, 20)}), Unit("s", None, "school", 20, {})]
    protect(units)  # a code the parent lacks is simply not summed
    with pytest.raises(ValueError, match="sum"):
        protect([*units[:1], Unit("s", None, "school", 20, {CODE: (6, 20)})])


# -- cells published before, and readers of part of the tree ---------------------------------


def district(schools: list[tuple[int, int]]) -> list[Unit]:
    """A district ``d`` over schools ``s0, s1, …`` given as ``(numerator, denominator)``."""
    units = [Unit(f"s{i}", "d", "school", n, {CODE: (x, n)}) for i, (x, n) in enumerate(schools)]
    total = (sum(x for x, _ in schools), sum(n for _, n in schools))
    units.append(Unit("d", None, "district", total[1], {CODE: total}, contributors=len(schools)))
    return units


AREA = {"school": Rules(), "district": Rules(gate=50, min_contributors=3)}


def test_fixed_cells_keep_their_status_and_the_area_above_is_hidden_instead() -> None:
    units = district([(3, 40), (20, 60), (15, 50)])
    fixed = {
        ("s0", CODE): Status.SUPPRESSED_PRIMARY,
        ("s1", CODE): Status.OK,
        ("s2", CODE): Status.OK,
    }
    view = protect(units, AREA, fixed=fixed)
    assert statuses(view) == {
        "s0": Status.SUPPRESSED_PRIMARY,
        "s1": Status.OK,
        "s2": Status.OK,
        "d": Status.SUPPRESSED_SECONDARY,  # not a school: their statuses were published
    }
    # Without the fixed statuses the smallest shown school would have been hidden.
    assert statuses(protect(units, AREA))["d"] is Status.OK


def test_an_area_below_its_gate_over_shown_schools_is_their_sum() -> None:
    units = district([(10, 40), (12, 40)])  # two schools: below the area gate
    view = protect(units, AREA, fixed={("s0", CODE): Status.OK, ("s1", CODE): Status.OK})
    assert statuses(view)["d"] is Status.BELOW_GATE
    assert not [d for d in find_derivations(view, AREA) if d.blocking], (
        "whoever reads both schools can add them up: no secret, nothing to report"
    )
    # The risk layer sees the district but no school: for it, a lone hidden district over
    # shown siblings is worked out by subtraction from the region.
    region = [
        Unit("r", None, "district", 140, {CODE: (42, 140)}, contributors=5),
        Unit("d", "r", "district", 80, {CODE: (22, 80)}, contributors=2),
        Unit("e", "r", "district", 60, {CODE: (20, 60)}, contributors=3),
        Unit("s0", "d", "school", 40, {CODE: (10, 40)}),
        Unit("s1", "d", "school", 40, {CODE: (12, 40)}),
    ]
    crafted_view = View(
        {u.key: u.parent for u in region},
        {u.key: u.level for u in region},
        {u.key: u.respondents for u in region},
        {
            (u.key, CODE): Cell(u.key, CODE, Status.OK, *u.counts[CODE])
            if u.key != "d"
            else Cell("d", CODE, Status.BELOW_GATE, None, None)
            for u in region
        },
    )
    assert not [d for d in find_derivations(crafted_view, AREA) if d.blocking]
    found = find_derivations(crafted_view, AREA, readers=[{"r", "d", "e"}])
    assert ("d", "numerator", 22) in [(d.unit, d.quantity, d.value) for d in found]
    protected = protect(
        region,
        AREA,
        fixed={("s0", CODE): Status.OK, ("s1", CODE): Status.OK},
        readers=[{"r", "d", "e"}],
    )
    hidden = {k for k, s in statuses(protected).items() if s.hidden}
    assert "d" in hidden
    assert hidden & {"r", "e"}, "a second area cell hides it"


def test_a_complement_is_one_that_protects_not_the_sum_of_shown_schools() -> None:
    # District d shows 3 schools and hides one (s1): d must be hidden. Districts e and f
    # show all their schools, so hiding either protects nothing from whoever reads those
    # schools (d = r - e - f): the region is hidden instead, and e and f stay shown.
    rules = {**AREA, "region": Rules(gate=50, min_contributors=3)}
    units = [
        Unit("r", None, "region", 400, {CODE: (100, 400)}, contributors=10),
        Unit("d", "r", "district", 140, {CODE: (33, 140)}, contributors=4),
        Unit("e", "r", "district", 120, {CODE: (30, 120)}, contributors=3),
        Unit("f", "r", "district", 140, {CODE: (37, 140)}, contributors=3),
        Unit("shown:d", "d", "school", 100, {CODE: (30, 100)}),
        Unit("s1", "d", "school", 40, {CODE: (3, 40)}),
        Unit("shown:e", "e", "school", 120, {CODE: (30, 120)}),
        Unit("shown:f", "f", "school", 140, {CODE: (37, 140)}),
    ]
    fixed = {
        ("shown:d", CODE): Status.OK,
        ("s1", CODE): Status.SUPPRESSED_PRIMARY,
        ("shown:e", CODE): Status.OK,
        ("shown:f", CODE): Status.OK,
    }
    view = protect(units, rules, fixed=fixed, readers=[{"r", "d", "e", "f"}])
    found = statuses(view)
    assert (found["d"], found["r"]) == (Status.SUPPRESSED_SECONDARY,) * 2
    assert (found["e"], found["f"]) == (Status.OK, Status.OK)
    assert not [d for d in find_derivations(view, rules) if d.blocking]


# -- the recoverability check ---------------------------------------------------------------


def crafted(classes: list[tuple[int, int, int]], hidden: dict[str, Status]) -> View:
    """A published view with hand-set statuses, as a faulty suppression might produce."""
    units = school(classes)
    cells = {}
    for unit in units:
        status = hidden.get(unit.key, Status.OK)
        x, n = unit.counts[CODE]
        shown = status is Status.OK
        cells[(unit.key, CODE)] = Cell(
            unit.key, CODE, status, x if shown else None, n if shown else None
        )
    return View(
        {u.key: u.parent for u in units},
        {u.key: u.level for u in units},
        {u.key: u.respondents for u in units},
        cells,
    )


def test_the_check_blocks_a_lone_hidden_class() -> None:
    view = crafted(
        [everyone(20, 4), everyone(20, 10), everyone(25, 12)], {"c0": Status.SUPPRESSED_PRIMARY}
    )
    with pytest.raises(NotPublishable) as refused:
        require_publishable(view)
    assert ("c0", "numerator", 4) in [
        (d.unit, d.quantity, d.value) for d in refused.value.derivations
    ]


def test_the_check_blocks_what_subtraction_and_non_negativity_give_away() -> None:
    # The rule "at least two hidden" holds, yet the shown total leaves nothing for them.
    view = crafted(
        [everyone(20, 0), everyone(20, 0), everyone(25, 10), everyone(25, 12)],
        {"c0": Status.SUPPRESSED_PRIMARY, "c1": Status.SUPPRESSED_PRIMARY},
    )
    with pytest.raises(NotPublishable, match="numerator"):
        require_publishable(view)


def test_the_check_blocks_what_the_statuses_give_away() -> None:
    # x0 + x1 = 5 with c1 secondary (so x1 >= 5): both are pinned.
    view = crafted(
        [everyone(20, 0), everyone(20, 5), everyone(25, 12)],
        {"c0": Status.SUPPRESSED_PRIMARY, "c1": Status.SUPPRESSED_SECONDARY},
    )
    found = {(d.unit, d.quantity, d.value) for d in find_derivations(view)}
    assert {("c0", "numerator", 0), ("c1", "numerator", 5)} <= found


def test_the_check_blocks_a_complement_pinned_by_the_total() -> None:
    # Everyone in c0 and c1 met the rule: the complement n - x is pinned to 0.
    view = crafted(
        [everyone(20, 20), everyone(20, 20), everyone(25, 12), everyone(25, 10)],
        {"c0": Status.SUPPRESSED_PRIMARY, "c1": Status.SUPPRESSED_PRIMARY},
    )
    found = {(d.unit, d.quantity, d.value) for d in find_derivations(view)}
    assert ("c0", "complement", 0) in found


def test_a_derivable_denominator_alone_does_not_block() -> None:
    view = protect(school([everyone(20, 4), everyone(20, 10), everyone(25, 12)]))
    found = find_derivations(view)
    assert found, "everyone answered: the denominators equal the respondents"
    assert {d.quantity for d in found} == {"denominator"}
    require_publishable(view)


def test_a_one_class_school_of_ten_at_five_is_shown() -> None:
    # Exactly at the gate and the rule on both sides.
    units = [
        Unit("c0", "s", "class", 10, {CODE: (5, 10)}),
        Unit("s", None, "school", 10, {CODE: (5, 10)}),
    ]
    view = protect(units)
    assert statuses(view) == {"c0": Status.OK, "s": Status.OK}


# -- independent attackers ------------------------------------------------------------------


def linear_derivations(view: View, code: str = CODE) -> set[tuple[str, str]]:
    """Hidden values fixed by the sums alone (any combination of subtractions): exact
    Gaussian elimination over the rationals, for x, n - x and n separately."""
    cells = {u: c for (u, cc), c in view.cells.items() if cc == code}
    hidden = sorted(u for u, c in cells.items() if c.status.hidden)
    col = {u: i for i, u in enumerate(hidden)}
    found = set()
    for quantity in ("numerator", "complement", "denominator"):
        rows = []
        for parent in cells:
            children = [u for u in cells if view.parents[u] == parent]
            if not children:
                continue
            row = [Fraction(0)] * (len(hidden) + 1)
            for unit, sign in [(parent, 1), *[(c, -1) for c in children]]:
                cell = cells[unit]
                if cell.status.hidden:
                    row[col[unit]] += sign
                else:
                    value = {
                        "numerator": cell.numerator,
                        "complement": cell.denominator - cell.numerator,
                        "denominator": cell.denominator,
                    }[quantity]
                    row[-1] -= sign * value
            rows.append(row)
        for unit in hidden:
            if _in_row_space(rows, col[unit], len(hidden)):
                found.add((unit, quantity))
    return found


def _in_row_space(rows: list[list[Fraction]], target: int, width: int) -> bool:
    basis: list[list[Fraction]] = []
    for row in rows:
        vector = row[:width]
        for b in basis:
            pivot = next(i for i, v in enumerate(b) if v)
            if vector[pivot]:
                factor = vector[pivot] / b[pivot]
                vector = [v - factor * w for v, w in zip(vector, b, strict=True)]
        if any(vector):
            basis.append(vector)
    unit = [Fraction(int(i == target)) for i in range(width)]
    rank = len(basis)
    for b in basis:
        pivot = next(i for i, v in enumerate(b) if v)
        if unit[pivot]:
            factor = unit[pivot] / b[pivot]
            unit = [v - factor * w for v, w in zip(unit, b, strict=True)]
    return rank > 0 and not any(unit)


def brute_force_pins(view: View, code: str = CODE, k: int = 5) -> set[tuple[str, str]]:
    """Every (unit, numerator|complement) that all integer assignments consistent with the
    published view agree on: the strongest reader there is, for a school and its classes."""
    cells = {u: c for (u, cc), c in view.cells.items() if cc == code}
    parent = next(u for u in cells if view.parents[u] is None)
    children = [u for u in cells if view.parents[u] == parent]

    def options(unit: str) -> set[tuple[int, int]]:
        cell, r = cells[unit], view.respondents[unit]
        if not cell.status.hidden:
            return {(cell.numerator, cell.denominator)}
        found = set()
        for n in range(r + 1):
            for x in range(n + 1):
                passes = x >= k and n - x >= k
                if cell.status is Status.SUPPRESSED_SECONDARY and not passes:
                    continue
                if cell.status is Status.SUPPRESSED_PRIMARY and passes:
                    continue
                found.add((x, n))
        return found

    def sums(units: list[str]) -> set[tuple[int, int]]:
        reach = {(0, 0)}
        for unit in units:
            reach = {(a + x, b + n) for (a, b), (x, n) in product(reach, options(unit))}
        return reach

    pinned = set()
    for unit in cells:
        if not cells[unit].status.hidden:
            continue
        if unit == parent:
            feasible = options(parent) & sums(children)
        else:
            others = sums([c for c in children if c != unit])
            totals = options(parent)
            feasible = {
                (x, n)
                for x, n in options(unit)
                if any((px - x, pn - n) in others for px, pn in totals)
            }
        if max(n for _x, n in feasible) == 0:
            continue
        if len({x for x, _n in feasible}) == 1:
            pinned.add((unit, "numerator"))
        if len({n - x for x, n in feasible}) == 1:
            pinned.add((unit, "complement"))
    return pinned


@st.composite
def schools(draw: st.DrawFn, sizes: tuple[int, int], classes: tuple[int, int]) -> list[Unit]:
    count = draw(st.integers(*classes))
    drawn = []
    for _ in range(count):
        r = draw(st.integers(*sizes))
        n = draw(st.integers(max(0, r - 2), r))  # a few may skip the items
        low = draw(st.booleans())
        x = draw(st.integers(0, min(n, 6)) if low else st.integers(0, n))
        drawn.append((r, x, n))
    return school(drawn)


def assert_safe(units: list[Unit], view: View) -> None:
    by_key = {u.key: u for u in units}
    for (unit, _code), cell in view.cells.items():
        if cell.status is Status.OK:
            x, n = by_key[unit].counts[CODE]
            assert by_key[unit].respondents >= 10
            assert min(x, n - x) >= 5
            assert (cell.numerator, cell.denominator) == (x, n)
        else:
            assert (cell.numerator, cell.denominator) == (None, None)
    parent = next(u.key for u in units if u.parent is None)
    members = [parent, *(u.key for u in units if u.parent == parent)]
    hidden = sum(view.cells[(m, CODE)].status.hidden for m in members)
    assert hidden != 1, "a lone hidden cell in a sum is derivable"
    assert not [d for d in find_derivations(view) if d.blocking]
    linear = linear_derivations(view)
    assert not {d for d in linear if d[1] != "denominator"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schools(sizes=(3, 35), classes=(1, 60)))
def test_generated_schools_publish_nothing_derivable(units: list[Unit]) -> None:
    try:
        view = protect(units)
    except NotPublishable:
        return  # refusing is always safe
    assert_safe(units, view)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schools(sizes=(3, 14), classes=(1, 4)))
def test_small_schools_resist_a_brute_force_reader(units: list[Unit]) -> None:
    try:
        view = protect(units)
    except NotPublishable:
        return
    assert_safe(units, view)
    assert brute_force_pins(view) == set()


def test_many_small_classes_are_all_hidden_with_the_school_shown() -> None:
    units = school([everyone(6, 2)] * 12)
    view = protect(units)
    found = statuses(view)
    assert all(found[f"c{i}"] is Status.BELOW_GATE for i in range(12))
    assert found["s"] is Status.OK  # 24 of 72: twelve hidden classes cover each other
    assert brute_force_pins(view) == set()


# -- autumn to spring: a trend publishes nothing the two waves do not -----------------------


def as_results(units: list[Unit], view: View) -> dict[str, UnitResults]:
    """Each unit of a protected wave as the pages read it."""
    found = {}
    for unit in units:
        cells = []
        for code in unit.counts:
            cell = view.cells[(unit.key, code)]
            cells.append(
                ResultCell(
                    code,
                    {"en": code},
                    "prevalence",
                    cell.status.value,
                    cell.numerator,
                    cell.denominator,
                )
            )
        below = any(c.status == Status.BELOW_GATE for c in cells)
        status = "below_gate" if below else "ok"
        found[unit.key] = UnitResults(
            unit.level, 0, unit.key, None, None, unit.respondents, status, tuple(cells)
        )
    return found


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(*(schools_of(n) for _ in range(2)))))
def test_generated_trends_show_only_what_both_waves_publish(
    waves: tuple[list[Unit], list[Unit]],
) -> None:
    try:
        views = [protect(units) for units in waves]
    except NotPublishable:
        return
    autumn, spring = (as_results(units, view) for units, view in zip(waves, views, strict=True))
    for key, later in spring.items():
        found = trend(autumn[key], later)
        if "below_gate" in (autumn[key].status, later.status):
            assert (found.status, found.rows) == ("below_gate", ())
            continue
        for row in found.rows:
            assert row.autumn == autumn[key].cell(row.code)
            assert row.spring == later.cell(row.code)
            both = row.autumn.shown and row.spring.shown
            assert (row.change is not None) == both
            if both:
                assert row.change == round_half_up(
                    100
                    * (
                        Fraction(row.spring.numerator, row.spring.denominator)
                        - Fraction(row.autumn.numerator, row.autumn.denominator)
                    )
                )
    for units, view in zip(waves, views, strict=True):
        assert_safe(units, view)


def round_half_up(value: Fraction) -> int:
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


def schools_of(count: int) -> st.SearchStrategy[list[Unit]]:
    """A school of exactly ``count`` classes of 3 to 35 (the same classes in both waves)."""
    return schools(sizes=(3, 35), classes=(count, count))
