"""The lessons of a class: its age band, the year plan of 10-minute lessons, what was given."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy import bindparam, select

from ..content import AgeBand, Catalog, Lesson, LessonFormat
from ..extensions import db
from ..models import LessonDelivery, SchoolClass

# Each micro-lesson topic is given three times a year, once in each of these rounds; the
# numbers are school weeks counted from the first week of September.
ROUND_START_WEEKS = (1, 14, 25)
ROUNDS = len(ROUND_START_WEEKS)


@dataclass(frozen=True)
class PlanSlot:
    week: int
    starts_on: date
    lesson: Lesson
    round: int


@dataclass(frozen=True)
class ClassProgress:
    plan: list[PlanSlot]
    given: list[LessonDelivery]
    next_slot: PlanSlot | None
    done: frozenset[tuple[str, int]]


def school_year_start(today: date) -> date:
    """Monday of the week of 1 September that opened the current school year."""
    year = today.year if today.month >= 8 else today.year - 1
    first = date(year, 9, 1)
    return first - timedelta(days=first.weekday())


def round_start_weeks(lesson_count: int) -> tuple[int, ...]:
    """The first week of each round: the usual spread, or back to back when it would clash."""
    gaps = [later - earlier for earlier, later in pairwise(ROUND_START_WEEKS)]
    if lesson_count <= min(gaps):
        return ROUND_START_WEEKS
    return tuple(1 + index * lesson_count for index in range(ROUNDS))


def year_plan(catalog: Catalog, band: str, today: date) -> list[PlanSlot]:
    """Weekly slots for the band's repeated micro-lessons: every topic in each of three rounds."""
    lessons = [
        lesson for lesson in catalog.select(band=band, format=LessonFormat.MICRO) if lesson.repeat
    ]
    start = school_year_start(today)
    slots = []
    for round_number, first_week in enumerate(round_start_weeks(len(lessons)), start=1):
        for offset, lesson in enumerate(lessons):
            week = first_week + offset
            slots.append(PlanSlot(week, start + timedelta(weeks=week - 1), lesson, round_number))
    return slots


def deliveries(school_class_id: int) -> list[LessonDelivery]:
    """Lessons given to a class, newest first."""
    return list(
        db.session.scalars(
            select(LessonDelivery)
            .where(LessonDelivery.school_class_id == school_class_id)
            .order_by(LessonDelivery.given_on.desc(), LessonDelivery.id.desc())
        )
    )


def student_home(school_class_id: int) -> tuple[str | None, list[str]]:
    """A class's title and the ids of the lessons given to it, newest first, each once.

    One statement and no ORM objects: every student's launch opens this page.
    """
    rows = (
        db.session.connection().execute(_STUDENT_HOME, {"school_class_id": school_class_id}).all()
    )
    if not rows:
        return None, []
    return rows[0].title, list(dict.fromkeys(r.lesson_id for r in rows if r.lesson_id))


_STUDENT_HOME = (
    select(SchoolClass.title, LessonDelivery.lesson_id)
    .outerjoin(LessonDelivery, LessonDelivery.school_class_id == SchoolClass.id)
    .where(SchoolClass.id == bindparam("school_class_id"))
    .order_by(LessonDelivery.given_on.desc(), LessonDelivery.id.desc())
)


def class_progress(catalog: Catalog, school_class: SchoolClass, today: date) -> ClassProgress:
    """The class's year plan, with the slots already given and the next one to give."""
    given = deliveries(school_class.id)
    plan = year_plan(catalog, school_class.band, today) if school_class.band else []
    # Only this school year's lessons move this year's plan on.
    this_year = school_year_start(today)
    times_given = Counter(d.lesson_id for d in given if d.given_on >= this_year)
    done = frozenset(
        (slot.lesson.id, slot.round) for slot in plan if times_given[slot.lesson.id] >= slot.round
    )
    next_slot = next((s for s in plan if (s.lesson.id, s.round) not in done), None)
    return ClassProgress(plan=plan, given=given, next_slot=next_slot, done=done)


def mark_given(school_class_id: int, lesson_id: str, person_id: int, today: date) -> LessonDelivery:
    """Record that a lesson was given to a class today."""
    delivery = LessonDelivery(
        school_class_id=school_class_id, lesson_id=lesson_id, given_on=today, given_by_id=person_id
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery


def set_band(school_class_id: int, band: AgeBand) -> None:
    """Set the age band of a class; its year plan follows."""
    school_class = db.session.get(SchoolClass, school_class_id)
    if school_class is None:
        raise LookupError(school_class_id)
    school_class.band = band.value
    db.session.commit()
