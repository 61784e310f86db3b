"""Area figures for the risk map: every indicator per district (or city) and region and period,
computed once in the database when a period is final, under disclosure control (PRIVACY.md).

Periods
    A period is one half of a school year: ``2026-27-S1`` holds the waves that open from
    1 August to 31 December 2026, ``2026-27-S2`` those that open from 1 January to 31 July
    2027. Schools close their waves when they like, so a period's area figures are computed
    **once**, when the period is final: from 1 February (S1) or 1 September (S2). Publishing
    after each school's close and again after the next would let anyone subtract two
    releases and read one school's figures; for the same reason a wave that closes later is
    never added (no correction package adds a school). Each mapped school counts with its
    latest closed wave of the period; schools whose wave is still open, who are not mapped
    to an area, or whose own results are blocked are left out (and counted as left out).

Computing (``aggregate``)
    The class and school figures were frozen when each school closed its wave
    (``survey_results``). From them, a ``GROUP BY`` district statement adds up, per indicator
    code, the numerators, denominators and contributing schools (and the part of the schools
    whose own cell is shown); a region's cells are the sums of its districts' cells. No
    response, class or school row is summed in Python. Two further indicators come from the same
    database: the participation rate (respondents of the classes whose Moodle roster size is
    known, over those roster sizes; ``unavailable`` where no roster size is known) and quiz
    completion (students of a class who finished the quizzes of every lesson given to the
    class in the period, over the class's students).

Disclosure control
    One tree per indicator code: region > district > school > class. Schools and classes keep
    the statuses they were published with; only area cells are decided here. An area cell
    needs 3 contributing schools and 50 respondents (``AREA_RULES``; the participation and
    quiz codes count roster and class students), then k = 5 on both sides; complementary
    suppression then hides further area cells until no sum has a lone hidden cell and the
    recoverability check finds nothing, for two readers: one who holds every published view
    (schools and classes too) and the risk layer, who holds both area packages and nothing
    else. If no area cell is left to hide, the period is blocked: no rows, no package.

    Rounding comes after: a shown area cell publishes its numerator and denominator rounded
    to the nearest 5, and its percentage (from the true counts) as a whole number, to the
    nearest 5 points below 100 respondents. Suppression and the check work on the true
    counts, as if every reader knew them exactly; rounding only takes knowledge away, so it
    can never let a hidden value be worked out, and it never decides what is hidden.

The rows feed the two aggregate packages of the period (regions; districts and cities),
built and queued in the same transaction that stores them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, and_, case, func, select
from sqlalchemy.exc import IntegrityError

from ..content import Catalog
from ..content.survey_schema import AgeGroup
from ..extensions import db
from ..models import (
    Area,
    AreaResult,
    AreaResultSet,
    LessonDelivery,
    Membership,
    QuizAttempt,
    School,
    SchoolClass,
    SurveyResult,
    SurveyResultSet,
    SurveyWave,
)
from ..models.base import utc_today
from . import areas, disclosure, report_packages, survey_results
from .disclosure import NotPublishable, Rules, Status, Unit

REGION, DISTRICT, SCHOOL, CLASS = "region", "district", "school", "class"
CLOSED = "closed"
AREA_RULES = Rules(gate=50, min_contributors=3)
RULES: Mapping[str, Rules] = {
    CLASS: Rules(),
    SCHOOL: Rules(),
    DISTRICT: AREA_RULES,
    REGION: AREA_RULES,
}
ROUND_TO = 5
METHOD = f"{AREA_RULES.method},r{ROUND_TO}"
PARTICIPATION = "participation-v1"
QUIZ_COMPLETION = "quiz-completion-v1"
EXTRA_CODES = (PARTICIPATION, QUIZ_COMPLETION)
UNAVAILABLE = "unavailable"
# The method in words, carried by every area package (datapackage.json "description").
METHOD_TEXT = (
    "Qadam survey aggregates for one period (one half of a school year; a school counts with "
    "its latest closed wave of the period, and the figures are computed once, when the "
    "period is final). An area with fewer than 3 contributing schools or fewer than 50 "
    "respondents is below_gate. A count x of n is shown only when x >= 5 and n - x >= 5 "
    "(otherwise suppressed_primary). Further area cells are hidden (suppressed_secondary) "
    "until no hidden value can be worked out by subtraction along the one tree region > "
    "district > school > class, for a reader of every published view and for a reader of "
    "both area packages; school and class cells keep the status they were published with. "
    "Suppression and this check use the true counts; the numerator and denominator of a "
    "shown cell are then rounded to the nearest 5, and value is the percentage from the true "
    "counts as a whole number (to the nearest 5 points when the denominator is below 100). "
    "Rounding never decides what is hidden, and as the check assumed exact counts, it cannot "
    "help anyone work out a hidden value. participation-v1: respondents of the classes whose "
    "Moodle roster size is known, over those roster sizes (unavailable where none is known). "
    "quiz-completion-v1: students who finished the quizzes of every lesson given to their "
    "class in the period, over the students of those classes."
)


class AreaProblem(Exception):
    """A period that cannot be aggregated: ``reason`` names why (not-final, bad-period)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    code: str  # 2026-27-S1
    first_day: date  # waves opening on or after …
    last_day: date  # … and on or before this day belong to the period
    final_on: date  # from this day the period's area figures are computed


def period_of(day: date) -> Period:
    """The period of a wave that opens on ``day``."""
    start = day.year if day.month >= 8 else day.year - 1
    return _period(start, 1 if day.month >= 8 else 2)


def _period(start: int, half: int) -> Period:
    code = f"{start}-{(start + 1) % 100:02d}-S{half}"
    if half == 1:
        return Period(code, date(start, 8, 1), date(start, 12, 31), date(start + 1, 2, 1))
    return Period(code, date(start + 1, 1, 1), date(start + 1, 7, 31), date(start + 1, 9, 1))


def period_named(code: str) -> Period:
    """The period of a code such as ``2026-27-S1``."""
    try:
        start, end, half = code.split("-")
        found = _period(int(start), int(half.removeprefix("S")))
    except ValueError:
        raise AreaProblem("bad-period") from None
    if found.code != code or half not in ("S1", "S2") or len(end) != 2:
        raise AreaProblem("bad-period")
    return found


def due_periods(today: date) -> list[Period]:
    """Final periods that have closed waves and no area figures yet, oldest first."""
    days = db.session.scalars(
        select(SurveyWave.opens_on).where(SurveyWave.status == CLOSED).distinct()
    )
    done = set(db.session.scalars(select(AreaResultSet.period)))
    found = {p.code: p for p in map(period_of, days) if p.final_on <= today}
    return [found[c] for c in sorted(found) if c not in done]


# -- what is counted ------------------------------------------------------------------------


def _in_period(period: Period) -> ColumnElement[bool]:
    return SurveyWave.opens_on.between(period.first_day, period.last_day)


def _counted_waves() -> Any:
    """Per mapped school, its latest closed wave of the period with published results."""
    ranked = (
        select(
            SurveyWave.id.label("wave_id"),
            SurveyWave.school_id.label("school_id"),
            func.row_number()
            .over(
                partition_by=SurveyWave.school_id,
                order_by=(SurveyWave.closed_on.desc(), SurveyWave.id.desc()),
            )
            .label("rank"),
        )
        .join(SurveyResultSet, SurveyResultSet.wave_id == SurveyWave.id)
        .join(School, School.id == SurveyWave.school_id)
        .where(
            SurveyWave.status == CLOSED,
            SurveyResultSet.blocked.is_(None),
            School.kato_district.is_not(None),
            School.kato_version == areas.CURRENT_VERSION,
        )
    )
    return ranked


def counted(period: Period) -> Any:
    """A subquery of ``wave_id, school_id``: the waves a period's area figures count."""
    ranked = _counted_waves().where(_in_period(period)).subquery()
    return (
        select(ranked.c.wave_id, ranked.c.school_id).where(ranked.c.rank == 1).subquery("counted")
    )


def _freeze_missing(period: Period, catalog: Catalog) -> None:
    """Closed waves of the period whose results were never frozen are frozen now."""
    missing = db.session.scalars(
        select(SurveyWave.id)
        .outerjoin(SurveyResultSet, SurveyResultSet.wave_id == SurveyWave.id)
        .where(SurveyWave.status == CLOSED, _in_period(period), SurveyResultSet.wave_id.is_(None))
    ).all()
    for wave_id in missing:
        try:
            survey_results.freeze(wave_id, catalog)
        except survey_results.ResultsProblem:
            db.session.rollback()  # left out; counted as such


# -- sums in the database -------------------------------------------------------------------


@dataclass
class Sum:
    """One cell before disclosure control: true counts and contributing schools; for a
    district's survey cell also the part of its schools whose own cell is shown."""

    numerator: int
    denominator: int
    schools: int
    shown_numerator: int = 0
    shown_denominator: int = 0
    shown_respondents: int = 0


Sums = dict[tuple[str, str], Sum]
Found = TypeVar("Found")  # (area code, indicator code) -> Sum


def survey_sums(period_waves: Any) -> Sums:
    """Every survey indicator per district: one ``GROUP BY`` over the frozen school figures
    of the counted waves (with the share of the schools whose own cell is shown)."""
    shown = SurveyResult.status == Status.OK.value
    rows = db.session.execute(
        select(
            School.kato_district,
            SurveyResult.indicator,
            func.sum(SurveyResult.numerator),
            func.sum(SurveyResult.denominator),
            func.sum(case((SurveyResult.denominator > 0, 1), else_=0)),
            func.sum(case((shown, SurveyResult.numerator), else_=0)),
            func.sum(case((shown, SurveyResult.denominator), else_=0)),
            func.sum(case((shown, SurveyResult.respondents), else_=0)),
        )
        .join(period_waves, period_waves.c.wave_id == SurveyResult.wave_id)
        .join(School, School.id == period_waves.c.school_id)
        .where(SurveyResult.level == SCHOOL)
        .group_by(School.kato_district, SurveyResult.indicator)
    )
    return {(str(a), str(code)): Sum(*map(int, numbers)) for a, code, *numbers in rows}


def participation_sums(period_waves: Any) -> Sums:
    """Respondents over roster size per district, over the classes whose roster size was
    known when their school's results were frozen (each class counted up to its size)."""
    rows = db.session.execute(
        select(
            School.kato_district,
            func.sum(SurveyResultSet.roster_respondents),
            func.sum(SurveyResultSet.roster_size),
            func.count(),
        )
        .join(period_waves, period_waves.c.wave_id == SurveyResultSet.wave_id)
        .join(School, School.id == period_waves.c.school_id)
        .where(SurveyResultSet.roster_size > 0)
        .group_by(School.kato_district)
    )
    return {(str(a), PARTICIPATION): Sum(int(x), int(n), int(s)) for a, x, n, s in rows}


def region_sums(districts: Sums, parents: Mapping[str, str]) -> Sums:
    """Each region's cells: the sums of its districts' (every school is in one district)."""
    found: Sums = {}
    for (district, code), cell in districts.items():
        total = found.setdefault((parents[district], code), Sum(0, 0, 0))
        total.numerator += cell.numerator
        total.denominator += cell.denominator
        total.schools += cell.schools
    return found


def _lesson_quizzes(catalog: Catalog) -> list[tuple[str, str]]:
    found = []
    for lesson in catalog.lessons:
        quiz = catalog.quiz(lesson.quiz)
        if quiz is not None and quiz.graded:
            found.append((lesson.id, quiz.id))
    return found


def quiz_sums(period: Period, catalog: Catalog, connection: Connection | None = None) -> Sums:
    """Students who finished the quizzes of every lesson given to their class in the period,
    over the students of those classes, per district (classes of mapped schools). Each step
    groups by class before the districts (hash aggregates, no distinct count over students).
    ``connection``: run on it instead of the session (see ``compute``)."""
    pairs = _lesson_quizzes(catalog)
    if not pairs:
        return {}
    quiz_of = case(dict(pairs), value=LessonDelivery.lesson_id)  # portable: no VALUES list
    required = (
        select(LessonDelivery.school_class_id, quiz_of.label("quiz_id"))
        .where(
            LessonDelivery.lesson_id.in_([lesson for lesson, _quiz in pairs]),
            LessonDelivery.given_on.between(period.first_day, period.last_day),
        )
        .distinct()
        .cte("required")
    )
    need = (
        select(required.c.school_class_id, func.count().label("quizzes"))
        .group_by(required.c.school_class_id)
        .cte("need")
    )
    finished = (
        select(QuizAttempt.school_class_id, QuizAttempt.person_id, QuizAttempt.quiz_id)
        .join(
            required,
            and_(
                required.c.school_class_id == QuizAttempt.school_class_id,
                required.c.quiz_id == QuizAttempt.quiz_id,
            ),
        )
        .where(
            QuizAttempt.submitted_at.is_not(None),
            QuizAttempt.submitted_at < datetime.combine(period.final_on, time(), UTC),
        )
        .distinct()
        .subquery("finished")
    )
    done = (
        select(
            finished.c.school_class_id,
            finished.c.person_id,
            func.count().label("quizzes"),
        )
        .group_by(finished.c.school_class_id, finished.c.person_id)
        .subquery("done")
    )
    per_class = (
        select(
            Membership.school_class_id,
            func.sum(case((done.c.quizzes == need.c.quizzes, 1), else_=0)).label("finished"),
            func.count().label("students"),
        )
        .join(need, need.c.school_class_id == Membership.school_class_id)
        .outerjoin(
            done,
            and_(
                done.c.school_class_id == Membership.school_class_id,
                done.c.person_id == Membership.person_id,
            ),
        )
        .where(Membership.role == "student")
        .group_by(Membership.school_class_id)
        .subquery("per_class")
    )
    statement = (
        select(
            School.kato_district,
            func.sum(per_class.c.finished),
            func.sum(per_class.c.students),
            func.count(func.distinct(School.id)),
        )
        .select_from(per_class)
        .join(SchoolClass, SchoolClass.id == per_class.c.school_class_id)
        .join(School, School.id == SchoolClass.school_id)
        .where(
            School.kato_district.is_not(None),
            School.kato_version == areas.CURRENT_VERSION,
        )
        .group_by(School.kato_district)
    )
    rows = (connection or db.session).execute(statement)
    return {(str(a), QUIZ_COMPLETION): Sum(int(x), int(n), int(s)) for a, x, n, s in rows}


# -- the published tree below the areas -----------------------------------------------------


@dataclass
class Leaf:
    """A school or class cell as it was published, with its true counts."""

    key: str
    parent: str
    level: str
    respondents: int
    numerator: int
    denominator: int
    status: Status


@dataclass
class Below:
    """Per indicator code and district: the hidden school cells and their classes' cells (a
    shown school's classes add nothing an area could use; shown schools count as one sum)."""

    leaves: dict[tuple[str, str], list[Leaf]] = field(default_factory=dict)

    def add(self, code: str, district: str, leaf: Leaf) -> None:
        self.leaves.setdefault((code, district), []).append(leaf)


def _below(period_waves: Any, connection: Connection | None = None) -> Below:
    found = Below()
    hidden = SurveyResult.status != Status.OK.value
    run = connection or db.session
    rows = run.execute(
        select(
            SurveyResult.indicator,
            School.kato_district,
            School.id,
            SurveyResult.respondents,
            SurveyResult.numerator,
            SurveyResult.denominator,
            SurveyResult.status,
        )
        .join(period_waves, period_waves.c.wave_id == SurveyResult.wave_id)
        .join(School, School.id == period_waves.c.school_id)
        .where(SurveyResult.level == SCHOOL, hidden)
    )
    for code, district, school_id, r, x, n, status in rows:
        leaf = Leaf(f"school:{school_id}", "", SCHOOL, r, x, n, Status(status))
        found.add(code, str(district), leaf)
    school = SurveyResult.__table__.alias("school_row")
    classes = run.execute(
        select(
            SurveyResult.indicator,
            School.kato_district,
            School.id,
            SurveyResult.unit_id,
            SurveyResult.respondents,
            SurveyResult.numerator,
            SurveyResult.denominator,
            SurveyResult.status,
        )
        .select_from(school)
        .join(period_waves, period_waves.c.wave_id == school.c.wave_id)
        .join(School, School.id == period_waves.c.school_id)
        .join(
            SurveyResult,
            and_(
                SurveyResult.wave_id == school.c.wave_id,
                SurveyResult.level == CLASS,
                SurveyResult.indicator == school.c.indicator,
            ),
        )
        .where(school.c.level == SCHOOL, school.c.status != Status.OK.value)
    )
    for code, district, school_id, class_id, r, x, n, status in classes:
        leaf = Leaf(f"class:{class_id}", f"school:{school_id}", CLASS, r, x, n, Status(status))
        found.add(code, str(district), leaf)
    return found


# -- disclosure control over the tree -------------------------------------------------------


@dataclass(frozen=True)
class AreaCell:
    code: str  # area code
    level: str  # region | district
    parent: str | None
    indicator: str
    numerator: int
    denominator: int
    schools: int
    status: str


def _area_units(
    indicator: str,
    region: str,
    districts: Sequence[str],
    sums: Mapping[str, Sums],
) -> list[Unit]:
    units = []
    for level, code, parent in [
        (REGION, region, None),
        *((DISTRICT, d, f"{REGION}:{region}") for d in districts),
    ]:
        cell = sums[level][(code, indicator)]
        units.append(
            Unit(
                f"{level}:{code}",
                parent,
                level,
                cell.denominator,  # an area's gate counts those the indicator is about
                {indicator: (cell.numerator, cell.denominator)},
                contributors=cell.schools,
            )
        )
    return units


def _below_units(
    indicator: str, districts: Sequence[str], below: Below, sums: Sums
) -> tuple[list[Unit], dict[tuple[str, str], Status]]:
    """The published cells under ``districts``: every hidden school with its classes, and the
    shown schools of each district as one shown cell (shown cells are exact: a sum of them
    tells a reader no more than each of them)."""
    units: list[Unit] = []
    fixed: dict[tuple[str, str], Status] = {}
    for district in districts:
        for leaf in below.leaves.get((indicator, district), []):
            parent = leaf.parent or f"{DISTRICT}:{district}"
            counts = {indicator: (leaf.numerator, leaf.denominator)}
            units.append(Unit(leaf.key, parent, leaf.level, leaf.respondents, counts))
            fixed[(leaf.key, indicator)] = leaf.status
        cell = sums[(district, indicator)]
        if cell.shown_respondents:
            key = f"shown:{district}"
            counts = {indicator: (cell.shown_numerator, cell.shown_denominator)}
            parent = f"{DISTRICT}:{district}"
            units.append(Unit(key, parent, SCHOOL, cell.shown_respondents, counts))
            fixed[(key, indicator)] = Status.OK
    return units, fixed


def _protect_survey_code(
    indicator: str,
    areas_units: list[Unit],
    districts: Sequence[str],
    below: Below,
    sums: Sums,
) -> disclosure.View:
    """Protect the area cells first over the schools alone (a small tree), then check the
    outcome once over the tree with the hidden schools' classes too; only if that finds
    something (their classes tell a reader more about a school) is the whole tree searched."""
    units, fixed = _below_units(indicator, districts, below, sums)
    readers = [[u.key for u in areas_units]]
    schools = [u for u in units if u.level != CLASS]
    quick = disclosure.protect(
        [*areas_units, *schools],
        RULES,
        fixed={k: v for k, v in fixed.items() if k[0] in {u.key for u in schools}},
        readers=readers,
    )
    if len(schools) == len(units):
        return quick
    chosen = {(u.key, indicator): quick.cells[(u.key, indicator)].status for u in areas_units}
    whole = [*areas_units, *units]
    try:
        # Every status is fixed now: only the whole tree's reader is new (the risk layer's
        # reading of these same area statuses passed above).
        return disclosure.protect(whole, RULES, fixed={**fixed, **chosen})
    except NotPublishable:
        return disclosure.protect(whole, RULES, fixed=fixed, readers=readers)


def protect_areas(
    sums: Mapping[str, Sums],
    below: Below,
    parents: Mapping[str, str],
    codes: Collection[str] | None = None,
) -> list[AreaCell]:
    """Every area cell (of ``codes``, default all) with its status; raises
    ``NotPublishable`` when the check cannot be satisfied. ``sums`` by level, ``parents``
    district -> region. Cells come by indicator, then region: the region, then its districts."""
    found: list[AreaCell] = []
    districts: dict[tuple[str, str], list[str]] = {}
    for district, code in sorted(sums[DISTRICT]):
        districts.setdefault((code, parents[district]), []).append(district)
    for code, region in sorted((c, a) for (a, c) in sums[REGION]):
        if codes is None or code in codes:
            found.extend(_protect_region(code, region, districts[(code, region)], sums, below))
    return found


def _in_order(cells: Iterable[AreaCell]) -> list[AreaCell]:
    """``protect_areas``'s order over cells protected in parts (each part in that order)."""
    return sorted(cells, key=lambda c: (c.indicator, c.parent if c.level == DISTRICT else c.code))


def _protect_region(
    indicator: str,
    region: str,
    districts: Sequence[str],
    sums: Mapping[str, Sums],
    below: Below,
) -> list[AreaCell]:
    areas_units = _area_units(indicator, region, districts, sums)
    risk_layer = [u.key for u in areas_units]
    if indicator in EXTRA_CODES:
        view = disclosure.protect(areas_units, RULES, readers=[risk_layer])
    else:
        view = _protect_survey_code(indicator, areas_units, districts, below, sums[DISTRICT])
    cells = []
    for unit in areas_units:
        level, code = unit.key.split(":")
        total = sums[level][(code, indicator)]
        cells.append(
            AreaCell(
                code=code,
                level=level,
                parent=region if level == DISTRICT else None,
                indicator=indicator,
                numerator=total.numerator,
                denominator=total.denominator,
                schools=total.schools,
                status=view.cells[(unit.key, indicator)].status.value,
            )
        )
    return cells


# -- rounding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """An area cell as it may leave Qadam: numbers only when shown, rounded."""

    numerator: int | None
    denominator: int | None
    percent: int | None


def _half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2))


def round_count(value: int) -> int:
    """To the nearest multiple of 5 (halves cannot occur with whole numbers)."""
    return ROUND_TO * _half_up(Fraction(value, ROUND_TO))


def published(status: str, numerator: int, denominator: int) -> Published:
    """The published form of a cell (PRIVACY.md section 2, rounding above school level)."""
    if status != Status.OK.value or denominator <= 0:
        return Published(None, None, None)
    share = Fraction(100 * numerator, denominator)
    percent = _half_up(share) if denominator >= 100 else 5 * _half_up(share / 5)
    return Published(round_count(numerator), round_count(denominator), percent)


# -- the whole period -----------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    code: str
    reported_as: str
    label: Mapping[str, str]


def _indicators(catalog: Catalog, codes: Iterable[str], period_waves: Any) -> list[Indicator]:
    """The period's indicators in a fixed order: each age group's instrument in turn, then
    codes of instruments no longer shipped, then participation and quiz completion."""
    wanted = set(codes)
    found: dict[str, Indicator] = {}
    for group in AgeGroup:
        survey = catalog.survey_for(group.value)
        for ind in survey.indicators if survey else ():
            if ind.code in wanted:
                found.setdefault(
                    ind.code, Indicator(ind.code, ind.reported_as.value, dict(ind.label))
                )
    for code in sorted(wanted - set(found) - set(EXTRA_CODES)):
        row = db.session.scalars(
            select(SurveyResult)
            .join(period_waves, period_waves.c.wave_id == SurveyResult.wave_id)
            .where(SurveyResult.indicator == code)
            .limit(1)
        ).first()
        label = dict(row.label) if row else {}
        found[code] = Indicator(code, row.reported_as if row else "prevalence", label)
    for code in EXTRA_CODES:
        found[code] = Indicator(code, code.removesuffix("-v1"), {})
    return list(found.values())


def _district_parents() -> dict[str, str]:
    rows = db.session.execute(
        select(Area.kato, Area.parent_code).where(  # not the whole row: it holds the outline
            Area.level == areas.DISTRICT, Area.kato_version == areas.CURRENT_VERSION
        )
    )
    return {kato: parent or "" for kato, parent in rows}


def _all_sums(survey: Sums, quizzes: Sums, parents: Mapping[str, str]) -> dict[str, Sums]:
    districts = {**survey, **quizzes}
    for area in {a for (a, _code) in districts}:
        for code in EXTRA_CODES:
            districts.setdefault((area, code), Sum(0, 0, 0))  # marked unavailable
    return {DISTRICT: districts, REGION: region_sums(districts, parents)}


@contextmanager
def _beside(run: Callable[[Connection | None], Found]) -> Iterator[Callable[[], Found]]:
    """``run`` while the caller goes on; the context gives a call that waits for its result.
    On PostgreSQL it runs in a thread on a connection of its own, so that the server works
    on its query while Python protects other cells (it reads only final data of a past
    period and frozen results: its snapshot need not be the session's). Elsewhere it runs
    when asked for."""
    if db.engine.dialect.name != "postgresql":
        yield lambda: run(None)
        return
    engine = db.engine

    def apart() -> Found:
        with engine.connect() as connection:
            return run(connection)

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(apart)
        yield future.result


def _unavailable(cells: Iterable[AreaCell]) -> list[AreaCell]:
    """Participation and quiz completion where nothing was there to count."""
    return [
        AreaCell(c.code, c.level, c.parent, c.indicator, 0, 0, 0, UNAVAILABLE)
        if c.indicator in EXTRA_CODES and c.denominator == 0
        else c
        for c in cells
    ]


def compute(period: Period, catalog: Catalog) -> tuple[list[AreaCell], list[Indicator], Any]:
    """Every area cell of ``period`` with its status (nothing is stored). Quiz completion
    and the hidden schools are read beside the survey sums, and quiz completion goes on
    while the survey cells are protected (see ``_beside``)."""
    period_waves = counted(period)
    parents = _district_parents()
    with (
        _beside(lambda connection: quiz_sums(period, catalog, connection)) as quizzes,
        _beside(lambda connection: _below(period_waves, connection)) as hidden_below,
    ):
        survey = survey_sums(period_waves)
        survey.update(participation_sums(period_waves))
        below = hidden_below()
        survey_only = {c for (_a, c) in survey} - set(EXTRA_CODES)
        sums = _all_sums(survey, {}, parents)
        cells = protect_areas(sums, below, parents, codes=survey_only)
        sums = _all_sums(survey, quizzes(), parents)
    cells = _in_order([*cells, *protect_areas(sums, below, parents, codes=EXTRA_CODES)])
    codes = {c.indicator for c in cells}
    return _unavailable(cells), _indicators(catalog, codes, period_waves), period_waves


def _left_out(period: Period, period_waves: Any) -> tuple[int, int]:
    """(schools counted, schools with a wave in the period that are not)."""
    counted_schools = db.session.scalar(select(func.count()).select_from(period_waves)) or 0
    with_wave = (
        db.session.scalar(
            select(func.count(func.distinct(SurveyWave.school_id))).where(_in_period(period))
        )
        or 0
    )
    return int(counted_schools), int(with_wave) - int(counted_schools)


def aggregate(
    period: Period,
    catalog: Catalog,
    *,
    today: date | None = None,
    deliver: bool = False,
    early: bool = False,
) -> AreaResultSet:
    """Compute, check and store a final period's area figures and its two packages, once
    (the stored set is returned if it exists). ``early``: the operator declares the period
    final before its date (every school has closed its wave)."""
    today = today or utc_today()
    existing = db.session.get(AreaResultSet, period.code)
    if existing is not None:
        return existing
    if period.final_on > today and not early:
        raise AreaProblem("not-final")
    _freeze_missing(period, catalog)
    result_set = AreaResultSet(
        period=period.code,
        kato_version=areas.CURRENT_VERSION,
        method=METHOD,
        computed_on=today,
        final_on=min(period.final_on, today),
        schools=0,
        left_out=0,
    )
    period_waves = counted(period)
    try:
        cells, indicators, period_waves = compute(period, catalog)
        rows = _rows(period.code, cells, indicators)
        check_stored(rows)  # what the risk layer will read, once more before it is stored
    except NotPublishable as refused:
        rows = []
        result_set.blocked = refused.reason
    result_set.schools, result_set.left_out = _left_out(period, period_waves)
    db.session.add(result_set)
    db.session.flush()
    db.session.add_all(rows)
    db.session.flush()
    for level in (REGION, DISTRICT):
        package_rows = [r for r in aggregate_rows(rows) if _package_level(r) == level]
        if package_rows:
            report_packages.add_package(
                package_rows,
                period=period.code,
                level=level,
                deliver=deliver,
                description=METHOD_TEXT,
            )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another process aggregated the period first: theirs stands
    found = db.session.get(AreaResultSet, period.code)
    if found is None:
        raise AreaProblem("not-stored")
    return found


def aggregate_due(
    catalog: Catalog, *, today: date | None = None, deliver: bool = False
) -> list[AreaResultSet]:
    """Aggregate every period that is final and not aggregated yet."""
    today = today or utc_today()
    return [
        aggregate(period, catalog, today=today, deliver=deliver) for period in due_periods(today)
    ]


def _rows(period: str, cells: Sequence[AreaCell], indicators: Sequence[Indicator]) -> list:
    meta = {ind.code: (position, ind) for position, ind in enumerate(indicators)}
    kinds = _kinds({c.code: c.level for c in cells})
    return [
        AreaResult(
            period=period,
            level=c.level,
            kind=kinds[c.code],
            area_code=c.code,
            parent_code=c.parent,
            indicator=c.indicator,
            position=meta[c.indicator][0],
            reported_as=meta[c.indicator][1].reported_as,
            label=dict(meta[c.indicator][1].label),
            schools=c.schools,
            numerator=c.numerator,
            denominator=c.denominator,
            status=c.status,
        )
        for c in sorted(cells, key=lambda c: (c.level, c.code, meta[c.indicator][0]))
    ]


def _kinds(levels: Mapping[str, str]) -> dict[str, str]:
    known = set(
        db.session.scalars(select(Area.kato).where(Area.kato_version == areas.CURRENT_VERSION))
    )
    return {
        code: areas.area_kind(code, level, known.__contains__) for code, level in levels.items()
    }


def _package_level(row: report_packages.AggregateRow) -> str:
    return REGION if row.parent_code is None else DISTRICT


# -- reading --------------------------------------------------------------------------------


def result_set(period: str) -> AreaResultSet | None:
    return db.session.get(AreaResultSet, period)


def stored_rows(period: str, level: str | None = None) -> list[AreaResult]:
    query = select(AreaResult).where(AreaResult.period == period)
    if level is not None:
        query = query.where(AreaResult.level == level)
    return list(db.session.scalars(query.order_by(AreaResult.area_code, AreaResult.position)))


def check_stored(rows: Sequence[AreaResult]) -> None:
    """The risk layer's recoverability check over stored rows, before anything leaves."""
    cells = {}
    parents: dict[str, str | None] = {}
    levels: dict[str, str] = {}
    respondents: dict[str, int] = {}
    for row in rows:
        if row.status == UNAVAILABLE:
            continue
        key = f"{row.level}:{row.area_code}"
        parents[key] = f"{REGION}:{row.parent_code}" if row.parent_code else None
        levels[key] = row.level
        respondents[key] = max(respondents.get(key, 0), row.denominator)
        status = Status(row.status)
        shown = status is Status.OK
        cells[(key, row.indicator)] = disclosure.Cell(
            key,
            row.indicator,
            status,
            row.numerator if shown else None,
            row.denominator if shown else None,
        )
    parents = {k: (p if p in parents else None) for k, p in parents.items()}
    disclosure.require_publishable(disclosure.View(parents, levels, respondents, cells), RULES)


def aggregate_rows(rows: Sequence[AreaResult]) -> list[report_packages.AggregateRow]:
    """Stored rows as the packages carry them (PRIVACY.md section 3), rounded."""
    out = []
    for row in rows:
        shown = published(row.status, row.numerator, row.denominator)
        out.append(
            report_packages.AggregateRow(
                area_code=row.area_code,
                area_level=row.kind,
                parent_code=row.parent_code,
                kato_version=areas.CURRENT_VERSION,
                period=row.period,
                indicator=row.indicator,
                numerator=shown.numerator,
                denominator=shown.denominator,
                value=shown.percent,
                status=row.status,
                conf=report_packages.CONF_FOR_STATUS[row.status],
                method=METHOD,
            )
        )
    return out


def periods() -> list[AreaResultSet]:
    """Aggregated periods, newest first."""
    return list(db.session.scalars(select(AreaResultSet).order_by(AreaResultSet.period.desc())))


# -- the coordinator's map ------------------------------------------------------------------


@dataclass(frozen=True)
class MapFigure:
    """An area's published figure for the map: the status, and the numbers when shown."""

    status: str
    percent: int | None
    numerator: int | None
    denominator: int | None


def published_periods() -> list[str]:
    """Periods with area figures to show (not blocked), newest first."""
    return list(
        db.session.scalars(
            select(AreaResultSet.period)
            .where(AreaResultSet.blocked.is_(None))
            .where(select(AreaResult.id).where(AreaResult.period == AreaResultSet.period).exists())
            .order_by(AreaResultSet.period.desc())
        )
    )


def period_indicators(period: str) -> list[Indicator]:
    """The indicators of a frozen period, in their order."""
    rows = db.session.execute(
        select(AreaResult.indicator, AreaResult.reported_as, func.min(AreaResult.id))
        .where(AreaResult.period == period)
        .group_by(AreaResult.indicator, AreaResult.reported_as, AreaResult.position)
        .order_by(AreaResult.position)
    ).all()
    found = []
    for code, reported_as, first in rows:
        row = db.session.get(AreaResult, first)
        found.append(Indicator(code, reported_as, dict(row.label) if row else {}))
    return found


def map_figures(
    period: str, indicator: str, level: str, region: str | None
) -> dict[str, MapFigure]:
    """Area code -> published figure of one indicator, for the regions or for the districts
    of ``region``. The risk layer's check runs over the indicator's rows first."""
    rows = list(
        db.session.scalars(
            select(AreaResult).where(AreaResult.period == period, AreaResult.indicator == indicator)
        )
    )
    check_stored(rows)
    found = {}
    for row in rows:
        if row.level != level or (level == DISTRICT and row.parent_code != region):
            continue
        shown = published(row.status, row.numerator, row.denominator)
        found[row.area_code] = MapFigure(
            row.status, shown.percent, shown.numerator, shown.denominator
        )
    return found
