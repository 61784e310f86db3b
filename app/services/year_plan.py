"""The year plan of a band's 10-minute lessons: three rounds of every topic, week by week.

Pure functions over the catalog and the school calendar; the class's stored order and what
was given live in :mod:`app.services.lessons`.

- **Sessions.** A micro-lesson is given as session 1 (its main sections) or as session N (its
  ``{#round-N}`` section). A school year gives every topic three rounds.
- **Two-year rotation.** A band's classes alternate between two years of rounds: the first
  year gives sessions 1, 2, 3 of each topic, the second year sessions 4, 5, 6. The class's
  grade decides (``rotation_year``): the first grade of the band is a first year, the next a
  second, and so on, so a class moving up a grade each September never meets the same session
  in two school years running. A lesson without rounds 4-6 yet gives its first-year rounds in
  the second year too, and the plan says so (``YearPlan.repeats_first_year``).
- **Order.** The plan is an order of (lesson, round) entries laid out on the teaching weeks
  from the first week, one a week, or two in some weeks when there are more entries than
  weeks: never an empty teaching week while entries remain. A teacher may reorder it, as long
  as each round of a topic comes after the round before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import NamedTuple

from ..content import AgeBand, Catalog, Lesson, LessonFormat
from ..content.schema import FIRST_YEAR_SESSIONS, SECOND_YEAR_SESSIONS
from .school_calendar import Holiday, TeachingWeek, holidays, school_year_of, teaching_weeks

ROUNDS = len(FIRST_YEAR_SESSIONS)  # rounds of every topic in a school year
# The grades (year of study) of each band, in order. Preschool groups are named by the age
# they start at: 3 is the group of ages 3-4, 4 of ages 4-5, 5 of ages 5-6.
GRADES: Mapping[AgeBand, tuple[int, ...]] = {
    AgeBand.PRESCHOOL: (3, 4, 5),
    AgeBand.PRIMARY: (1, 2, 3, 4),
    AgeBand.BASIC: (5, 6, 7, 8, 9),
    AgeBand.UPPER: (10, 11),
    AgeBand.TVET: (1, 2, 3, 4),
}


class Entry(NamedTuple):
    """One place in a class's order: a lesson's round of this school year (1 to 3)."""

    lesson_id: str
    round: int


@dataclass(frozen=True)
class PlanSlot:
    week: int
    starts_on: date
    lesson: Lesson
    round: int  # 1 to 3 within the school year
    session: int  # the session given: 1 to 3 in a first year, 4 to 6 in a second

    @property
    def entry(self) -> Entry:
        return Entry(self.lesson.id, self.round)


@dataclass(frozen=True)
class YearPlan:
    year: int  # the calendar year the school year starts in
    weeks: tuple[TeachingWeek, ...]
    holidays: tuple[Holiday, ...]
    slots: tuple[PlanSlot, ...]
    rotation_year: int  # 1 or 2
    # Lessons whose second-year rounds are not written yet: this year gives sessions 1-3.
    repeats_first_year: tuple[Lesson, ...] = ()
    # Lessons with no later rounds at all yet: every round gives the main lesson again.
    without_rounds: tuple[Lesson, ...] = ()
    custom: bool = False  # in the class's own order, not the default one

    def slots_in(self, week: int) -> tuple[PlanSlot, ...]:
        return self._slots_by_week.get(week, ())

    @cached_property
    def _slots_by_week(self) -> dict[int, tuple[PlanSlot, ...]]:
        by_week: dict[int, list[PlanSlot]] = {}
        for slot in self.slots:
            by_week.setdefault(slot.week, []).append(slot)
        return {week: tuple(slots) for week, slots in by_week.items()}

    @property
    def last_week(self) -> int:
        return self.slots[-1].week if self.slots else 0


def is_grade_of(band: str, grade: int) -> bool:
    """Whether ``grade`` is a grade (or preschool group, or college year) of ``band``."""
    return band in set(AgeBand) and grade in GRADES[AgeBand(band)]


def rotation_year(band: str | None, grade: int | None) -> int:
    """1 or 2: the year of the two-year rotation a class of ``grade`` in ``band`` is in.

    The band's first grade is a first year, its second grade a second year, its third a first
    year again. A class without a grade (or a grade outside its band) gets the first year.
    """
    if band is None or grade is None or not is_grade_of(band, grade):
        return 1
    return 1 + GRADES[AgeBand(band)].index(grade) % 2


def plan_lessons(catalog: Catalog, band: str) -> list[Lesson]:
    """The band's repeated micro-lessons, in catalog order: the topics of the year plan."""
    return [
        lesson for lesson in catalog.select(band=band, format=LessonFormat.MICRO) if lesson.repeat
    ]


def sessions_available(lesson: Lesson) -> frozenset[int]:
    """The sessions a lesson can be given as: 1, and every round written in its texts."""
    found: set[int] = {1}
    for text in lesson.texts.values():
        found |= set(text.sessions)
    return frozenset(found)


def year_sessions(lesson: Lesson, rotation: int) -> tuple[int, ...]:
    """The session given in each round of the year: (1, 2, 3) or (4, 5, 6), with fallbacks.

    A second year falls back to the first year's rounds while rounds 4-6 are missing, and a
    round not written yet gives the main lesson (session 1) again.
    """
    available = sessions_available(lesson)
    if rotation == 2 and set(SECOND_YEAR_SESSIONS) <= available:
        return SECOND_YEAR_SESSIONS
    return tuple(n if n in available else 1 for n in FIRST_YEAR_SESSIONS)


def default_order(lessons: Sequence[Lesson]) -> list[Entry]:
    """Every topic once in each round: round 1 of all topics (autumn), then 2, then 3."""
    return [Entry(lesson.id, round_) for round_ in range(1, ROUNDS + 1) for lesson in lessons]


def misplaced(order: Sequence[Entry]) -> Entry | None:
    """The first entry that comes before the previous round of its topic, if any."""
    seen: set[Entry] = set()
    for entry in order:
        if entry.round > 1 and Entry(entry.lesson_id, entry.round - 1) not in seen:
            return entry
        seen.add(entry)
    return None


def keep_rounds_in_order(order: Sequence[Entry]) -> list[Entry]:
    """The same places for each topic, its rounds put in them in ascending order."""
    places: dict[str, list[int]] = {}
    for index, entry in enumerate(order):
        places.setdefault(entry.lesson_id, []).append(index)
    result = list(order)
    for lesson_id, indexes in places.items():
        rounds = sorted(order[i].round for i in indexes)
        for index, round_ in zip(indexes, rounds, strict=True):
            result[index] = Entry(lesson_id, round_)
    return result


def reconcile(stored: Iterable[Entry], default: Sequence[Entry]) -> list[Entry]:
    """A stored order brought up to date with the catalog: what is gone is dropped, what is
    new comes at the end in the default order, and every topic's rounds stay in order."""
    wanted = set(default)
    kept = list(dict.fromkeys(entry for entry in stored if entry in wanted))
    present = set(kept)
    kept += [entry for entry in default if entry not in present]
    return keep_rounds_in_order(kept)


def week_numbers(count: int, weeks: int) -> list[int]:
    """The teaching week (from 1) of each of ``count`` entries laid out on ``weeks`` weeks.

    One a week from the first week while there are no more entries than weeks; otherwise
    spread evenly, so that weeks hold one or two and none is left empty.
    """
    if weeks <= 0:
        return []
    if count <= weeks:
        return list(range(1, count + 1))
    return [index * weeks // count + 1 for index in range(count)]


def moved(order: Sequence[Entry], entry: Entry, to_index: int) -> list[Entry]:
    """``order`` with ``entry`` taken out and put back at ``to_index``."""
    result = [e for e in order if e != entry]
    result.insert(max(0, min(to_index, len(result))), entry)
    return result


def index_for_week(order: Sequence[Entry], entry: Entry, week: int, weeks: int) -> int | None:
    """Where ``entry`` goes to land in teaching week ``week``; None when no entry can."""
    numbers = week_numbers(len(order), weeks)
    places = [index for index, number in enumerate(numbers) if number == week]
    if not places:
        return None
    current = order.index(entry)
    if places[0] <= current <= places[-1]:
        return current
    return places[0] if current > places[-1] else places[-1]


def year_plan(
    catalog: Catalog,
    band: str,
    today: date,
    *,
    grade: int | None = None,
    order: Iterable[Entry] = (),
) -> YearPlan:
    """The school year of ``today`` for a class of ``band`` and ``grade``, in ``order``.

    ``order`` is the class's stored order (empty for the default); it is brought up to date
    with the catalog first.
    """
    year = school_year_of(today)
    stored = tuple(order)
    if stored:
        return _year_plan(catalog, band, year, grade, stored)
    # Most classes follow the default order, and a teacher's start page shows their plan on
    # every launch: it is made once per catalog (plans are immutable).
    return catalog.derived(
        ("year-plan", band, year, grade), lambda: _year_plan(catalog, band, year, grade, ())
    )


def _year_plan(
    catalog: Catalog, band: str, year: int, grade: int | None, order: tuple[Entry, ...]
) -> YearPlan:
    weeks = teaching_weeks(year)
    lessons = plan_lessons(catalog, band)
    by_id = {lesson.id: lesson for lesson in lessons}
    default = default_order(lessons)
    entries = reconcile(order, default)
    rotation = rotation_year(band, grade)
    sessions = {lesson.id: year_sessions(lesson, rotation) for lesson in lessons}
    slots = tuple(
        PlanSlot(
            week=number,
            starts_on=weeks[number - 1].starts_on,
            lesson=by_id[entry.lesson_id],
            round=entry.round,
            session=sessions[entry.lesson_id][entry.round - 1],
        )
        for entry, number in zip(entries, week_numbers(len(entries), len(weeks)), strict=True)
    )
    without_rounds = tuple(lesson for lesson in lessons if len(set(sessions[lesson.id])) < ROUNDS)
    named = {lesson.id for lesson in without_rounds}
    return YearPlan(
        year=year,
        weeks=weeks,
        holidays=holidays(year),
        slots=slots,
        rotation_year=rotation,
        repeats_first_year=tuple(
            lesson
            for lesson in lessons
            if rotation == 2
            and min(sessions[lesson.id]) < min(SECOND_YEAR_SESSIONS)
            and lesson.id not in named
        ),
        without_rounds=without_rounds,
        custom=entries != default,
    )
