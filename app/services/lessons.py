"""The lessons of a class: its age band and grade, its year plan and order, what was given.

The plan itself is built by the pure functions of :mod:`app.services.year_plan`; this module
reads and writes what a class keeps: its band and grade, its own order, its deliveries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, delete, select

from ..content import AgeBand, Catalog
from ..extensions import db
from ..models import ClassPlanEntry, LessonDelivery, SchoolClass
from .school_calendar import school_year_start
from .year_plan import (
    ROUNDS,
    Entry,
    PlanSlot,
    YearPlan,
    default_order,
    index_for_week,
    is_grade_of,
    misplaced,
    moved,
    plan_lessons,
    sessions_available,
    year_plan,
)

__all__ = [
    "ROUNDS",
    "ClassProgress",
    "Entry",
    "PlanProblem",
    "PlanSlot",
    "YearPlan",
    "class_plan",
    "class_progress",
    "deliveries",
    "given_this_year",
    "mark_given",
    "move_in_plan",
    "reset_plan",
    "school_year_start",
    "sessions_available",
    "sessions_given",
    "set_band",
    "student_home",
    "year_plan",
]


@dataclass(frozen=True)
class ClassProgress:
    plan: YearPlan | None  # None until the class has a band
    given: list[LessonDelivery]
    next_slot: PlanSlot | None
    done: frozenset[Entry]  # the plan's places already given this school year


class PlanProblem(Exception):
    """A change to a class's plan that cannot be made; ``reason`` says why."""

    def __init__(self, reason: str, entry: Entry | None = None, last_week: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason  # no-plan, not-in-plan, round-order or no-such-week
        self.entry = entry  # round-order: the round that would come before the one before it
        self.last_week = last_week  # no-such-week: the last week that holds a lesson


def deliveries(school_class_id: int) -> list[LessonDelivery]:
    """Lessons given to a class, newest first."""
    return list(db.session.scalars(_DELIVERIES, {"school_class_id": school_class_id}))


# Statements of the teacher's start page, built once: building one costs more than running it.
_DELIVERIES = (
    select(LessonDelivery)
    .where(LessonDelivery.school_class_id == bindparam("school_class_id"))
    .order_by(LessonDelivery.given_on.desc(), LessonDelivery.id.desc())
)
_STORED_ORDER = (
    select(ClassPlanEntry.lesson_id, ClassPlanEntry.round)
    .where(ClassPlanEntry.school_class_id == bindparam("school_class_id"))
    .order_by(ClassPlanEntry.position)
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


def stored_order(school_class_id: int) -> list[Entry]:
    """The class's own order of its plan; empty while it follows the default."""
    rows = db.session.connection().execute(_STORED_ORDER, {"school_class_id": school_class_id})
    return [Entry(lesson_id, round_) for lesson_id, round_ in rows]


def class_plan(catalog: Catalog, school_class: SchoolClass, today: date) -> YearPlan | None:
    """The class's plan for the school year of ``today``, in its own order; None without band."""
    if not school_class.band:
        return None
    return year_plan(
        catalog,
        school_class.band,
        today,
        grade=school_class.grade,
        order=stored_order(school_class.id),
    )


def done_in(plan: YearPlan, given: Iterable[LessonDelivery]) -> frozenset[Entry]:
    """The places of the plan that deliveries of this school year have given.

    A delivery counts for the first place, in the plan's order, that gives its session.
    """
    left = Counter((d.lesson_id, d.session) for d in given)
    done = set()
    for slot in plan.slots:
        key = (slot.lesson.id, slot.session)
        if left[key] > 0:
            left[key] -= 1
            done.add(slot.entry)
    return frozenset(done)


def class_progress(catalog: Catalog, school_class: SchoolClass, today: date) -> ClassProgress:
    """The class's year plan, with the places already given and the next one to give."""
    given = deliveries(school_class.id)
    plan = class_plan(catalog, school_class, today)
    if plan is None:
        return ClassProgress(plan=None, given=given, next_slot=None, done=frozenset())
    # Only this school year's lessons move this year's plan on.
    this_year = school_year_start(today)
    done = done_in(plan, (d for d in given if d.given_on >= this_year))
    next_slot = next((slot for slot in plan.slots if slot.entry not in done), None)
    return ClassProgress(plan=plan, given=given, next_slot=next_slot, done=done)


def sessions_given(school_class_id: int, lesson_id: str) -> list[int]:
    """The sessions of a lesson given to a class so far, in ascending order."""
    return list(
        db.session.scalars(
            select(LessonDelivery.session)
            .where(
                LessonDelivery.school_class_id == school_class_id,
                LessonDelivery.lesson_id == lesson_id,
            )
            .distinct()
            .order_by(LessonDelivery.session)
        )
    )


def given_this_year(school_class_id: int, lesson_id: str, today: date) -> int:
    """How many times a lesson (any session) was given to a class this school year."""
    since = school_year_start(today)
    return sum(
        1 for d in deliveries(school_class_id) if d.lesson_id == lesson_id and d.given_on >= since
    )


def mark_given(
    school_class_id: int, lesson_id: str, person_id: int, today: date, session: int = 1
) -> LessonDelivery:
    """Record that a session of a lesson was given to a class today."""
    delivery = LessonDelivery(
        school_class_id=school_class_id,
        lesson_id=lesson_id,
        session=session,
        given_on=today,
        given_by_id=person_id,
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery


def set_band(school_class_id: int, band: AgeBand, grade: int | None = None) -> None:
    """Set the age band and grade of a class; its year plan follows.

    A new band has other lessons, so the class's own order of the old band is dropped.
    """
    if grade is not None and not is_grade_of(band, grade):
        raise ValueError(f"grade {grade} is not in band {band}")
    school_class = db.session.get(SchoolClass, school_class_id)
    if school_class is None:
        raise LookupError(school_class_id)
    if school_class.band != band.value:
        _forget_order(school_class_id)
    school_class.band = band.value
    school_class.grade = grade
    db.session.commit()


def move_in_plan(
    catalog: Catalog,
    school_class_id: int,
    entry: Entry,
    today: date,
    *,
    step: int = 0,
    week: int | None = None,
) -> None:
    """Move a place of the class's plan ``step`` places on (-1 earlier, 1 later) or to ``week``.

    Refused (:class:`PlanProblem`) when a round would come before the round before it, or
    when no lesson can be in that week (the plan fills its weeks from the first, no gaps).
    """
    school_class = db.session.get(SchoolClass, school_class_id, with_for_update=True)
    if school_class is None:
        raise LookupError(school_class_id)
    plan = class_plan(catalog, school_class, today)
    if plan is None or school_class.band is None:
        raise PlanProblem("no-plan")
    order = [slot.entry for slot in plan.slots]
    if entry not in order:
        raise PlanProblem("not-in-plan", entry)
    if week is not None:
        to_index = index_for_week(order, entry, week, len(plan.weeks))
        if to_index is None:
            raise PlanProblem("no-such-week", entry, last_week=plan.last_week)
    else:
        to_index = order.index(entry) + step
        if not 0 <= to_index < len(order):
            return  # already first or last
    changed = moved(order, entry, to_index)
    wrong = misplaced(changed)
    if wrong is not None:
        raise PlanProblem("round-order", wrong)
    _save_order(school_class_id, changed, default_order(plan_lessons(catalog, school_class.band)))


def reset_plan(school_class_id: int) -> None:
    """Go back to the default order of the class's plan."""
    _forget_order(school_class_id)
    db.session.commit()


def _forget_order(school_class_id: int) -> None:
    db.session.execute(
        delete(ClassPlanEntry).where(ClassPlanEntry.school_class_id == school_class_id)
    )


def _save_order(school_class_id: int, order: list[Entry], default: list[Entry]) -> None:
    _forget_order(school_class_id)
    if order != default:  # the default order is not stored: new lessons join it by themselves
        db.session.add_all(
            ClassPlanEntry(
                school_class_id=school_class_id,
                position=position,
                lesson_id=entry.lesson_id,
                round=entry.round,
            )
            for position, entry in enumerate(order)
        )
    db.session.commit()
