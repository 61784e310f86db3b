"""The year plan: three rounds of every topic on the teaching weeks, the two-year rotation,
the teacher's order and its rule (each round after the one before it)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from app.content.schema import (
    AgeBand,
    Catalog,
    Lang,
    Lesson,
    LessonFormat,
    LessonText,
    Session,
    TopicBlock,
)
from app.models import LessonDelivery
from app.services import year_plan as yp
from app.services.lessons import done_in
from app.services.school_calendar import teaching_weeks
from app.services.year_plan import Entry

TODAY = date(2026, 10, 5)  # the school year 2026-2027


def micro(lesson_id: str, rounds: tuple[int, ...] = (2, 3, 4, 5, 6), order: int = 1) -> Lesson:
    sessions = {n: Session(n, f"Round {n}", "<p>Story</p>", ("<p>a</p>",) * 4, "") for n in rounds}
    texts = {lang: LessonText(lang, lesson_id, "Summary", ("Goal",), {}, sessions) for lang in Lang}
    return Lesson(
        id=lesson_id,
        band=AgeBand.BASIC,
        format=LessonFormat.MICRO,
        minutes=10,
        topic="emergency-help",
        block=TopicBlock.OFFICIAL,
        order=order,
        step_minutes=(2, 3, 3, 2),
        quiz=None,
        repeat=True,
        reviewers=(),
        texts=texts,
        folder=Path("."),
    )


def catalog(count: int, rounds: tuple[int, ...] = (2, 3, 4, 5, 6)) -> Catalog:
    return Catalog(tuple(micro(f"topic-{n}", rounds, order=n) for n in range(1, count + 1)))


def pairs(plan: yp.YearPlan) -> list[tuple[str, int]]:
    return [(slot.lesson.id, slot.session) for slot in plan.slots]


def test_every_topic_gets_three_rounds_with_no_session_twice() -> None:
    plan = yp.year_plan(catalog(12), AgeBand.BASIC, TODAY, grade=5)
    assert len(plan.slots) == 36
    assert Counter(slot.lesson.id for slot in plan.slots) == {f"topic-{n}": 3 for n in range(1, 13)}
    assert len(set(pairs(plan))) == len(plan.slots), "no (lesson, session) twice in a year"
    assert {slot.session for slot in plan.slots} == {1, 2, 3}
    assert [slot.round for slot in plan.slots[:12]] == [1] * 12, "round 1 of every topic first"


def test_more_slots_than_weeks_puts_two_in_some_weeks_and_leaves_no_week_empty() -> None:
    plan = yp.year_plan(catalog(12), AgeBand.BASIC, TODAY)
    weeks = len(plan.weeks)
    assert weeks == 35
    per_week = Counter(slot.week for slot in plan.slots)
    assert set(per_week) == set(range(1, weeks + 1)), "every teaching week has a lesson"
    assert set(per_week.values()) == {1, 2}
    assert [slot.week for slot in plan.slots] == sorted(slot.week for slot in plan.slots)
    for slot in plan.slots:
        assert slot.starts_on == plan.weeks[slot.week - 1].starts_on


def test_fewer_slots_than_weeks_fill_the_first_weeks_without_gaps() -> None:
    plan = yp.year_plan(catalog(6), AgeBand.BASIC, TODAY)
    assert [slot.week for slot in plan.slots] == list(range(1, 19))
    assert plan.slots[0].starts_on == date(2026, 8, 31), "the Monday of the week of 1 September"


def test_the_plan_skips_the_holidays() -> None:
    plan = yp.year_plan(catalog(12), AgeBand.BASIC, date(2025, 11, 1))
    assert plan.year == 2025
    starts = {slot.starts_on for slot in plan.slots}
    assert date(2025, 10, 27) not in starts, "autumn holidays"
    assert date(2025, 12, 29) not in starts, "winter holidays"
    assert date(2026, 3, 23) not in starts, "spring holidays"
    assert date(2026, 5, 25) in starts


@pytest.mark.parametrize(
    ("band", "grade", "year"),
    [
        (AgeBand.PRESCHOOL, 3, 1),
        (AgeBand.PRESCHOOL, 4, 2),
        (AgeBand.PRESCHOOL, 5, 1),
        (AgeBand.PRIMARY, 1, 1),
        (AgeBand.PRIMARY, 2, 2),
        (AgeBand.PRIMARY, 4, 2),
        (AgeBand.BASIC, 5, 1),
        (AgeBand.BASIC, 6, 2),
        (AgeBand.BASIC, 9, 1),
        (AgeBand.UPPER, 10, 1),
        (AgeBand.UPPER, 11, 2),
        (AgeBand.TVET, 3, 1),
        (AgeBand.TVET, 4, 2),
        (AgeBand.BASIC, None, 1),
        (AgeBand.BASIC, 2, 1),  # not a grade of the band: the first year
    ],
)
def test_the_rotation_year_follows_the_grade(band: AgeBand, grade: int | None, year: int) -> None:
    assert yp.rotation_year(band, grade) == year


def test_the_two_rotation_years_share_no_session() -> None:
    first = yp.year_plan(catalog(12), AgeBand.BASIC, TODAY, grade=7)
    second = yp.year_plan(catalog(12), AgeBand.BASIC, TODAY, grade=8)
    assert (first.rotation_year, second.rotation_year) == (1, 2)
    assert {slot.session for slot in second.slots} == {4, 5, 6}
    assert not set(pairs(first)) & set(pairs(second))
    assert not second.repeats_first_year
    # A class moving up a grade alternates: never the same session two years running.
    assert set(pairs(first)) == set(pairs(yp.year_plan(catalog(12), "basic", TODAY, grade=9)))


def test_a_second_year_without_its_rounds_gives_the_first_year_and_says_so() -> None:
    lessons = (micro("complete", order=1), micro("first-year-only", (2, 3), order=2))
    plan = yp.year_plan(Catalog(lessons), AgeBand.BASIC, TODAY, grade=6)
    sessions = {
        lid: [s.session for s in plan.slots if s.lesson.id == lid] for lid in lessons_ids(plan)
    }
    assert sessions == {"complete": [4, 5, 6], "first-year-only": [1, 2, 3]}
    assert [lesson.id for lesson in plan.repeats_first_year] == ["first-year-only"]
    assert not plan.without_rounds


def lessons_ids(plan: yp.YearPlan) -> list[str]:
    return list(dict.fromkeys(slot.lesson.id for slot in plan.slots))


def test_a_lesson_without_rounds_gives_its_main_lesson_each_round_and_says_so() -> None:
    plan = yp.year_plan(Catalog((micro("only-main", ()),)), AgeBand.BASIC, TODAY)
    assert [slot.session for slot in plan.slots] == [1, 1, 1]
    assert [lesson.id for lesson in plan.without_rounds] == ["only-main"]


def test_only_repeated_micro_lessons_of_the_band_are_planned() -> None:
    other_band = micro("primary-topic")
    object.__setattr__(other_band, "band", AgeBand.PRIMARY)
    once = micro("once")
    object.__setattr__(once, "repeat", False)
    plan = yp.year_plan(Catalog((micro("a"), other_band, once)), AgeBand.BASIC, TODAY)
    assert lessons_ids(plan) == ["a"]


# -- the teacher's order -----------------------------------------------------------------


def test_a_stored_order_is_followed() -> None:
    default = yp.default_order(list(catalog(3).lessons))
    water_first = yp.moved(default, Entry("topic-3", 1), 0)
    plan = yp.year_plan(catalog(3), AgeBand.BASIC, TODAY, order=water_first)
    assert [slot.entry for slot in plan.slots] == water_first
    assert plan.slots[0].lesson.id == "topic-3"
    assert plan.slots[0].week == 1


def test_a_round_before_the_round_before_it_is_found() -> None:
    order = [Entry("a", 1), Entry("a", 2), Entry("b", 2), Entry("b", 1)]
    assert yp.misplaced(order) == Entry("b", 2)
    assert yp.misplaced([Entry("a", 1), Entry("a", 2)]) is None
    assert yp.misplaced([Entry("a", 2)]) == Entry("a", 2), "round 1 missing counts as later"


def test_reconcile_drops_what_is_gone_adds_what_is_new_and_keeps_rounds_in_order() -> None:
    default = [Entry("a", 1), Entry("b", 1), Entry("a", 2), Entry("b", 2)]
    stored = [Entry("b", 2), Entry("gone", 1), Entry("a", 1), Entry("b", 1), Entry("a", 1)]
    result = yp.reconcile(stored, default)
    assert sorted(result) == sorted(default)
    assert result[:3] == [Entry("b", 1), Entry("a", 1), Entry("b", 2)]
    assert yp.misplaced(result) is None


def test_week_numbers_spread_entries_evenly() -> None:
    assert yp.week_numbers(3, 5) == [1, 2, 3]
    numbers = yp.week_numbers(36, 34)
    assert Counter(numbers) == {**dict.fromkeys(range(1, 35), 1), 1: 2, 18: 2}
    assert yp.week_numbers(4, 0) == []


def test_index_for_week_lands_the_entry_in_that_week() -> None:
    order = yp.default_order(list(catalog(12).lessons))
    weeks = len(teaching_weeks(2026))
    for entry, week in [(order[0], 20), (order[30], 2), (order[5], 35), (order[35], 1)]:
        index = yp.index_for_week(order, entry, week, weeks)
        assert index is not None
        result = yp.moved(order, entry, index)
        assert yp.week_numbers(len(result), weeks)[result.index(entry)] == week
    assert yp.index_for_week(order, order[0], 36, weeks) is None
    assert yp.index_for_week(order, order[0], 0, weeks) is None
    assert yp.index_for_week(order[:18], order[0], 19, weeks) is None, "no lesson in week 19"


# -- what was given ------------------------------------------------------------------------


def given(lesson_id: str, session: int) -> LessonDelivery:
    return LessonDelivery(lesson_id=lesson_id, session=session, given_on=TODAY)


def test_a_delivery_counts_for_the_place_that_gives_its_session() -> None:
    plan = yp.year_plan(catalog(2), AgeBand.BASIC, TODAY, grade=6)  # a second year: 4, 5, 6
    done = done_in(plan, [given("topic-2", 5), given("topic-1", 1)])
    assert done == {Entry("topic-2", 2)}, "session 1 is not part of a second year"


def test_a_repeated_session_counts_once_per_delivery() -> None:
    plan = yp.year_plan(Catalog((micro("only-main", ()),)), AgeBand.BASIC, TODAY)
    done = done_in(plan, [given("only-main", 1), given("only-main", 1)])
    assert done == {Entry("only-main", 1), Entry("only-main", 2)}


def test_a_lesson_without_any_rounds_is_named_once_in_a_second_year() -> None:
    plan = yp.year_plan(Catalog((micro("only-main", ()),)), AgeBand.BASIC, TODAY, grade=6)
    assert [lesson.id for lesson in plan.without_rounds] == ["only-main"]
    assert plan.repeats_first_year == ()


def test_a_default_plan_is_made_once_per_catalog_and_a_new_catalog_gets_its_own() -> None:
    first = catalog(4)
    plan = yp.year_plan(first, AgeBand.BASIC, TODAY, grade=5)
    assert yp.year_plan(first, AgeBand.BASIC, TODAY, grade=5) is plan
    # What the key holds changes the plan: another grade (rotation year), another school year.
    assert yp.year_plan(first, AgeBand.BASIC, TODAY, grade=6).rotation_year == 2
    assert yp.year_plan(first, AgeBand.BASIC, date(2027, 10, 4), grade=5).year == 2027
    # Content changed: the new catalog's plan has the new lesson, the old plan is not served.
    changed = Catalog((*first.lessons, micro("topic-new", order=9)))
    renewed = yp.year_plan(changed, AgeBand.BASIC, TODAY, grade=5)
    assert "topic-new" in {slot.lesson.id for slot in renewed.slots}
    assert "topic-new" not in {slot.lesson.id for slot in plan.slots}


def test_a_class_order_is_not_kept_with_the_catalog() -> None:
    lessons = catalog(3)
    order = yp.moved(yp.default_order(list(lessons.lessons)), Entry("topic-3", 1), 0)
    custom = yp.year_plan(lessons, AgeBand.BASIC, TODAY, order=order)
    assert custom.custom
    assert custom.slots[0].entry == Entry("topic-3", 1)
    default = yp.year_plan(lessons, AgeBand.BASIC, TODAY)
    assert not default.custom
    assert default.slots[0].entry == Entry("topic-1", 1)


@pytest.mark.parametrize("count", [3, 12, 40])
def test_slots_in_a_week_are_the_slots_laid_on_it(count: int) -> None:
    plan = yp.year_plan(catalog(count), AgeBand.BASIC, TODAY)
    for week in plan.weeks:
        expected = tuple(slot for slot in plan.slots if slot.week == week.number)
        assert plan.slots_in(week.number) == expected
    assert plan.slots_in(0) == ()
    assert plan.slots_in(99) == ()
