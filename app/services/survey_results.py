"""Survey results: each instrument's indicators per class and for the school, computed in the
database when a wave closes, frozen, and shown only under disclosure control (PRIVACY.md §2).

Computing (``freeze``)
    For a closed wave, one ``GROUP BY window`` query per instrument over ``survey_response``
    counts, for every indicator, the respondents who answered at least one of its items (the
    denominator) and those who meet its rule (the numerator), reading the JSON answers with
    SQLAlchemy's JSON accessors (``JSON_EXTRACT`` on SQLite, ``->>`` on PostgreSQL); no response
    row reaches Python. A class's respondents are its window's responses. The school total of an
    indicator sums the classes that have that indicator code (grades 5–9 and 10–11/TVET share
    codes; the codes of other instruments stay separate). ``disclosure.protect`` then gives each
    cell its status, and everything is stored in ``survey_result`` with a ``survey_result_set``
    row (method, date; or ``blocked`` with the reason when the check refused publication).
    ``freeze`` runs when a wave closes and, failing that, on the first read of a closed wave;
    a frozen wave is never computed again, so every re-read and re-download is identical.

Reading (the API for pages and exports; every function takes the scope it is allowed)
    ``wave_results(wave_id, school_id=…, catalog=…) -> WaveResults``
        a school coordinator's view: the school unit and every class unit.
    ``class_results(wave_id, class_id=…, catalog=…) -> UnitResults``
        a teacher's view: their own class only.
    ``waves_with_results(school_id)``, ``class_waves(class_id)``
        the closed waves there is something to read for.
    ``trend(autumn, spring) -> Trend`` and ``unit_trend(level, unit_id, autumn_wave_id,
    spring_wave_id, school_id=…, catalog=…)``
        autumn → spring for one class or the school: only when the unit passes the gate in
        both waves; the change only where both values are shown.
    ``school_trends(autumn_wave_id, spring_wave_id, school_id=…, catalog=…) -> WaveTrends``
    and ``class_trend(…, class_id=…)``
        the coordinator's and the teacher's trend views: both waves are read (and checked)
        as their own pages are. A pair is two closed waves of one school in the same school
        year (September to May), the autumn one opening from August to December and the
        spring one from January to July (``school_trend_pairs``, ``class_trend_pairs``).
    A ``UnitResults`` has ``level`` (class | school), ``unit_id``, ``name``, ``age_group``,
    ``respondents``, ``status`` (ok | below_gate) and ``cells``; a ``ResultCell`` has ``code``,
    ``label`` ({kk, ru, en}), ``reported_as`` (prevalence | climate for grades 1–2, never a
    bullying rate | observation for the preschool teacher's checklist), ``status`` (ok |
    below_gate | suppressed_primary | suppressed_secondary) and, only when ``ok``, ``numerator``,
    ``denominator`` and ``percent``. A hidden cell never carries a number; the page or export
    shows the plain-language message of its status (``app.result_labels``).

    Before anything is returned, the recoverability check runs again over the whole stored
    wave (the school view, which holds every class view): ``disclosure.NotPublishable`` is
    raised if any hidden count could be derived, so no page or export can show it.

Results exist only for closed waves: a class's window may close earlier, but its cells depend
on its classmates' classes (complementary suppression), so they are fixed only with the wave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    column,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError

from ..content import Catalog
from ..content.survey_schema import AgeGroup, Indicator, IndicatorRule, Survey
from ..extensions import db
from ..models import School, SchoolClass, SurveyResponse, SurveyWave, SurveyWindow
from ..models.base import utc_today
from ..models.survey_result import SurveyResult, SurveyResultSet
from . import disclosure
from .disclosure import NotPublishable, Rules, Status, Unit

CLASS, SCHOOL = "class", "school"
CLOSED = "closed"
RULES: Mapping[str, Rules] = {CLASS: Rules(), SCHOOL: Rules()}
METHOD = Rules().method
AUTUMN_FROM = 8  # August: a wave opening from then to December is a school year's autumn wave

__all__ = [
    "NotPublishable",
    "ResultCell",
    "ResultsProblem",
    "Trend",
    "TrendRow",
    "UnitResults",
    "WaveResults",
    "WaveTrends",
    "class_results",
    "class_trend",
    "class_trend_pairs",
    "class_waves",
    "freeze",
    "school_trend_pairs",
    "school_trends",
    "trend",
    "unit_trend",
    "wave_results",
    "waves_with_results",
]


class ResultsProblem(Exception):
    """Results that cannot be read: ``reason`` is not-found or wave-open."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ResultCell:
    code: str
    label: Mapping[str, str]
    reported_as: str
    status: str
    numerator: int | None
    denominator: int | None

    @property
    def shown(self) -> bool:
        return self.status == Status.OK

    @property
    def percent(self) -> int | None:
        """The share in whole percent (half up), only for a shown cell."""
        if self.numerator is None or not self.denominator:
            return None
        return _half_up(Fraction(100 * self.numerator, self.denominator))

    @property
    def fraction(self) -> Fraction | None:
        if self.numerator is None or not self.denominator:
            return None
        return Fraction(self.numerator, self.denominator)


@dataclass(frozen=True)
class UnitResults:
    level: str
    unit_id: int
    name: str
    age_group: str | None
    survey_id: str | None
    respondents: int
    status: str  # ok | below_gate
    cells: tuple[ResultCell, ...]

    def cell(self, code: str) -> ResultCell | None:
        return next((c for c in self.cells if c.code == code), None)


@dataclass(frozen=True)
class WaveResults:
    wave_id: int
    wave_code: str
    school_id: int
    closed_on: date | None
    computed_on: date
    method: str
    school: UnitResults
    classes: tuple[UnitResults, ...]


@dataclass(frozen=True)
class TrendRow:
    code: str
    label: Mapping[str, str]
    reported_as: str
    autumn: ResultCell
    spring: ResultCell
    change: int | None  # percentage points, spring minus autumn, when both are shown


@dataclass(frozen=True)
class Trend:
    level: str
    unit_id: int
    status: str  # ok | below_gate (the unit is below the gate in either wave)
    rows: tuple[TrendRow, ...]
    name: str = ""
    respondents: tuple[int, int] = (0, 0)  # autumn, spring
    unit_status: tuple[str, str] = ("ok", "ok")  # the unit's status in autumn and in spring


@dataclass(frozen=True)
class WaveTrends:
    """Autumn → spring of a school: the school and every class that took part in both."""

    autumn: WaveResults
    spring: WaveResults
    school: Trend
    classes: tuple[Trend, ...]

    @property
    def school_id(self) -> int:
        return self.spring.school_id

    @property
    def computed_on(self) -> date:
        """The later freezing of the two waves: the one date the trend's files carry."""
        return max(self.autumn.computed_on, self.spring.computed_on)


def _half_up(value: Fraction) -> int:
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


# -- computing in the database --------------------------------------------------------------


Values = Callable[[str], ColumnElement[Any]]


def _json_value(item_id: str) -> ColumnElement[Any]:
    """One answer as an integer, NULL when skipped (``JSON_EXTRACT`` / ``->>``)."""
    return SurveyResponse.answers[item_id].as_integer()


def _answer_record(survey: Survey) -> tuple[Any, Values]:
    """Where the answers are read from: on PostgreSQL each response's JSON is parsed once
    into a row of integers (``json_to_record``), as ``->>`` parses the whole document again
    for every item; elsewhere (SQLite) with ``JSON_EXTRACT`` per item."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None, _json_value
    items = sorted({item for indicator in survey.indicators for item in indicator.items})
    record = (
        func.json_to_record(SurveyResponse.answers)
        .table_valued(*(column(item, Integer) for item in items))
        .render_derived(name="answer", with_types=True)
    )
    return record, lambda item: record.c[item]


def _answered(indicator: Indicator, value: Values = _json_value) -> ColumnElement[bool]:
    return or_(*(value(item).is_not(None) for item in indicator.items))


def _meets(indicator: Indicator, value: Values = _json_value) -> ColumnElement[bool]:
    """``Indicator.meets`` in SQL: any (or every answered) item at or above the threshold."""
    at_least = [value(item) >= indicator.threshold_value for item in indicator.items]
    if indicator.rule is IndicatorRule.ANY_AT_LEAST:
        return and_(_answered(indicator, value), or_(*at_least))
    skipped_or_at_least = [
        or_(value(item).is_(None), check)
        for item, check in zip(indicator.items, at_least, strict=True)
    ]
    return and_(_answered(indicator, value), *skipped_or_at_least)


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def indicator_counts(survey: Survey, window_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per window: ``respondents`` and, per indicator code, ``(numerator, denominator)``."""
    record, value = _answer_record(survey)
    columns = [func.count().label("respondents")]
    for i, indicator in enumerate(survey.indicators):
        columns.append(_count(_meets(indicator, value)).label(f"x{i}"))
        columns.append(_count(_answered(indicator, value)).label(f"n{i}"))
    query = select(SurveyResponse.window_id, *columns).select_from(SurveyResponse)
    if record is not None:
        query = query.join(record, true())
    rows = db.session.execute(
        query.where(SurveyResponse.window_id.in_(window_ids)).group_by(SurveyResponse.window_id)
    ).mappings()
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        counts = {
            ind.code: (int(row[f"x{i}"]), int(row[f"n{i}"]))
            for i, ind in enumerate(survey.indicators)
        }
        found[int(row["window_id"])] = {"respondents": int(row["respondents"]), "counts": counts}
    return found


@dataclass
class _ClassUnit:
    class_id: int
    name: str
    age_group: str
    survey: Survey
    respondents: int
    counts: dict[str, tuple[int, int]]
    roster_size: int | None = None


def _class_units(wave: SurveyWave, catalog: Catalog) -> list[_ClassUnit]:
    windows = db.session.execute(
        select(SurveyWindow, SchoolClass)
        .join(SchoolClass, SchoolClass.id == SurveyWindow.school_class_id)
        .where(SurveyWindow.wave_id == wave.id)
        .order_by(SchoolClass.id)
    ).all()
    by_survey: dict[str, list[int]] = {}
    for window, _class in windows:
        by_survey.setdefault(window.survey_id, []).append(window.id)
    counted: dict[int, dict[str, Any]] = {}
    surveys: dict[str, Survey] = {}
    for survey_id, window_ids in sorted(by_survey.items()):
        survey = catalog.survey(survey_id)
        if survey is None:
            raise ResultsProblem("instrument-missing")
        surveys[survey_id] = survey
        counted.update(indicator_counts(survey, window_ids))
    units = []
    for window, school_class in windows:
        survey = surveys[window.survey_id]
        found = counted.get(window.id)
        empty = {ind.code: (0, 0) for ind in survey.indicators}
        units.append(
            _ClassUnit(
                class_id=school_class.id,
                name=school_class.label or school_class.title or f"#{school_class.id}",
                age_group=window.age_group,
                survey=survey,
                respondents=found["respondents"] if found else 0,
                counts=found["counts"] if found else empty,
                roster_size=window.roster_size,
            )
        )
    return units


def _school_indicators(classes: Sequence[_ClassUnit]) -> list[Indicator]:
    """Every code of the wave once, in age-group order, then each instrument's own order."""
    order = list(AgeGroup)
    seen: dict[str, Indicator] = {}
    for unit in sorted(classes, key=lambda u: (order.index(AgeGroup(u.age_group)), u.class_id)):
        for indicator in unit.survey.indicators:
            seen.setdefault(indicator.code, indicator)
    return list(seen.values())


def freeze(wave_id: int, catalog: Catalog) -> None:
    """Compute and store a closed wave's results once (nothing happens if they exist)."""
    wave = db.session.get(SurveyWave, wave_id)
    if wave is None:
        raise ResultsProblem("not-found")
    if wave.status != CLOSED:
        raise ResultsProblem("wave-open")
    if db.session.get(SurveyResultSet, wave_id) is not None:
        return
    classes = _class_units(wave, catalog)
    school_codes = _school_indicators(classes)
    school_counts = {
        ind.code: (
            sum(c.counts[ind.code][0] for c in classes if ind.code in c.counts),
            sum(c.counts[ind.code][1] for c in classes if ind.code in c.counts),
        )
        for ind in school_codes
    }
    school_key = f"school:{wave.school_id}"
    units = [
        Unit(f"class:{c.class_id}", school_key, CLASS, c.respondents, c.counts) for c in classes
    ]
    units.append(Unit(school_key, None, SCHOOL, sum(c.respondents for c in classes), school_counts))
    rostered = [c for c in classes if c.roster_size]
    result_set = SurveyResultSet(
        wave_id=wave.id,
        method=METHOD,
        computed_on=utc_today(),
        roster_respondents=sum(min(c.respondents, c.roster_size or 0) for c in rostered),
        roster_size=sum(c.roster_size or 0 for c in rostered),
    )
    db.session.add(result_set)
    try:
        view = disclosure.protect(units, RULES)
    except NotPublishable as refused:
        result_set.blocked = refused.reason
        _commit_once()
        return
    school = db.session.get(School, wave.school_id)
    rows = [
        _row(
            wave.id,
            SCHOOL,
            wave.school_id,
            None,
            school.name if school else "",
            None,
            None,
            position,
            ind,
            units[-1],
            view,
        )
        for position, ind in enumerate(school_codes)
    ]
    for unit, c in zip(units[:-1], classes, strict=True):
        rows.extend(
            _row(
                wave.id,
                CLASS,
                c.class_id,
                wave.school_id,
                c.name,
                c.age_group,
                c.survey.id,
                position,
                ind,
                unit,
                view,
            )
            for position, ind in enumerate(c.survey.indicators)
        )
    try:
        db.session.flush()  # the result set first: its rows refer to it
        if rows:  # inserted without ORM objects: hundreds per school, none read back
            db.session.execute(insert(SurveyResult.__table__), rows)
    except IntegrityError:
        db.session.rollback()  # another request froze the wave first: theirs stands
        return
    _commit_once()


def _row(
    wave_id: int,
    level: str,
    unit_id: int,
    parent_id: int | None,
    name: str,
    age_group: str | None,
    survey_id: str | None,
    position: int,
    indicator: Indicator,
    unit: Unit,
    view: disclosure.View,
) -> dict[str, Any]:
    x, n = unit.counts[indicator.code]
    return {
        "wave_id": wave_id,
        "level": level,
        "unit_id": unit_id,
        "parent_id": parent_id,
        "unit_name": name[:255],
        "age_group": age_group,
        "survey_id": survey_id,
        "position": position,
        "indicator": indicator.code,
        "reported_as": indicator.reported_as.value,
        "label": dict(indicator.label),
        "respondents": unit.respondents,
        "numerator": x,
        "denominator": n,
        "status": view.cells[(unit.key, indicator.code)].status.value,
    }


def _commit_once() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another request froze the wave first: theirs stands


# -- reading --------------------------------------------------------------------------------


def _frozen(wave: SurveyWave, catalog: Catalog) -> SurveyResultSet:
    if wave.status != CLOSED:
        raise ResultsProblem("wave-open")
    found = db.session.get(SurveyResultSet, wave.id)
    if found is None:
        freeze(wave.id, catalog)
        found = db.session.get(SurveyResultSet, wave.id)
    if found is None:
        raise ResultsProblem("not-found")
    if found.blocked:
        raise NotPublishable(found.blocked)
    return found


def _rows(wave_id: int) -> list[SurveyResult]:
    return list(
        db.session.scalars(
            select(SurveyResult)
            .where(SurveyResult.wave_id == wave_id)
            .order_by(
                SurveyResult.level,
                SurveyResult.unit_name,
                SurveyResult.unit_id,
                SurveyResult.position,
            )
        )
    )


def _check(rows: Sequence[SurveyResult]) -> None:
    """The recoverability check over the stored wave, before anything leaves."""
    parents: dict[str, str | None] = {}
    levels: dict[str, str] = {}
    respondents: dict[str, int] = {}
    cells = {}
    for row in rows:
        key = f"{row.level}:{row.unit_id}"
        parents[key] = f"{SCHOOL}:{row.parent_id}" if row.parent_id is not None else None
        levels[key] = row.level
        respondents[key] = row.respondents
        status = Status(row.status)
        shown = status is Status.OK
        cells[(key, row.indicator)] = disclosure.Cell(
            key,
            row.indicator,
            status,
            row.numerator if shown else None,
            row.denominator if shown else None,
        )
    disclosure.require_publishable(disclosure.View(parents, levels, respondents, cells), RULES)


def _cell(row: SurveyResult) -> ResultCell:
    shown = row.status == Status.OK
    return ResultCell(
        code=row.indicator,
        label=dict(row.label),
        reported_as=row.reported_as,
        status=row.status,
        numerator=row.numerator if shown else None,
        denominator=row.denominator if shown else None,
    )


def _units(rows: Sequence[SurveyResult]) -> list[UnitResults]:
    grouped: dict[tuple[str, int], list[SurveyResult]] = {}
    for row in rows:
        grouped.setdefault((row.level, row.unit_id), []).append(row)
    units = []
    for (level, unit_id), found in grouped.items():
        first = found[0]
        below = any(r.status == Status.BELOW_GATE for r in found)
        units.append(
            UnitResults(
                level=level,
                unit_id=unit_id,
                name=first.unit_name,
                age_group=first.age_group,
                survey_id=first.survey_id,
                respondents=first.respondents,
                status=Status.BELOW_GATE.value if below else Status.OK.value,
                cells=tuple(_cell(r) for r in sorted(found, key=lambda r: r.position)),
            )
        )
    return units


def _empty_school(wave: SurveyWave) -> UnitResults:
    school = db.session.get(School, wave.school_id)
    return UnitResults(
        SCHOOL,
        wave.school_id,
        school.name if school else "",
        None,
        None,
        0,
        Status.BELOW_GATE.value,
        (),
    )


def wave_results(wave_id: int, *, school_id: int, catalog: Catalog) -> WaveResults:
    """A closed wave of ``school_id``: the school and every class (a school coordinator's)."""
    wave = db.session.get(SurveyWave, wave_id)
    if wave is None or wave.school_id != school_id:
        raise ResultsProblem("not-found")
    frozen = _frozen(wave, catalog)
    rows = _rows(wave.id)
    _check(rows)
    units = _units(rows)
    school = next((u for u in units if u.level == SCHOOL), None) or _empty_school(wave)
    return WaveResults(
        wave_id=wave.id,
        wave_code=wave.code,
        school_id=wave.school_id,
        closed_on=wave.closed_on,
        computed_on=frozen.computed_on,
        method=frozen.method,
        school=school,
        classes=tuple(u for u in units if u.level == CLASS),
    )


def class_results(wave_id: int, *, class_id: int, catalog: Catalog) -> UnitResults:
    """One class of a closed wave (its teacher's view); the check still covers the wave."""
    wave = db.session.get(SurveyWave, wave_id)
    if wave is None:
        raise ResultsProblem("not-found")
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != wave.school_id:
        raise ResultsProblem("not-found")
    found = wave_results(wave_id, school_id=wave.school_id, catalog=catalog)
    unit = next((u for u in found.classes if u.unit_id == class_id), None)
    if unit is None:
        raise ResultsProblem("not-found")
    return unit


def waves_with_results(school_id: int) -> list[SurveyWave]:
    """The school's closed waves, newest first."""
    return list(
        db.session.scalars(
            select(SurveyWave)
            .where(SurveyWave.school_id == school_id, SurveyWave.status == CLOSED)
            .order_by(SurveyWave.opens_on.desc(), SurveyWave.id.desc())
        )
    )


def class_waves(class_id: int) -> list[SurveyWave]:
    """The closed waves in which the class ran the survey, newest first."""
    return list(
        db.session.scalars(
            select(SurveyWave)
            .join(SurveyWindow, SurveyWindow.wave_id == SurveyWave.id)
            .where(SurveyWindow.school_class_id == class_id, SurveyWave.status == CLOSED)
            .order_by(SurveyWave.opens_on.desc(), SurveyWave.id.desc())
        )
    )


# -- autumn to spring -----------------------------------------------------------------------


def trend(autumn: UnitResults, spring: UnitResults) -> Trend:
    """The change of each indicator both waves have, for one unit; nothing below the gate.

    A trend publishes nothing new: its cells are the two waves' own published cells, and the
    change is worked out from two shown values only, so whatever a reader can derive from it
    they can derive from the two waves, which the recoverability check has already cleared.
    """
    below = Status.BELOW_GATE.value
    respondents = (autumn.respondents, spring.respondents)
    statuses = (autumn.status, spring.status)
    if below in statuses:
        return Trend(spring.level, spring.unit_id, below, (), spring.name, respondents, statuses)
    rows = []
    for later in spring.cells:
        earlier = autumn.cell(later.code)
        if earlier is None:
            continue
        change = None
        if earlier.fraction is not None and later.fraction is not None:
            change = _half_up(100 * (later.fraction - earlier.fraction))
        rows.append(TrendRow(later.code, later.label, later.reported_as, earlier, later, change))
    return Trend(
        spring.level, spring.unit_id, Status.OK.value, tuple(rows), spring.name, respondents
    )


def school_year(day: date) -> int:
    """The calendar year a school year starts in (Kazakhstan's runs from September to May)."""
    return day.year if day.month >= AUTUMN_FROM else day.year - 1


def is_autumn(wave: SurveyWave) -> bool:
    """A wave opening from August to December is a school year's autumn wave."""
    return wave.opens_on.month >= AUTUMN_FROM


def trend_pairs(waves: Sequence[SurveyWave]) -> list[tuple[SurveyWave, SurveyWave]]:
    """Every (autumn, spring) pair of closed waves of one school in the same school year,
    the latest spring first."""
    closed = [w for w in waves if w.status == CLOSED]
    pairs = [
        (autumn, spring)
        for spring in closed
        for autumn in closed
        if autumn.school_id == spring.school_id
        and is_autumn(autumn)
        and not is_autumn(spring)
        and school_year(autumn.opens_on) == school_year(spring.opens_on)
    ]
    pairs.sort(key=lambda p: (p[1].opens_on, p[1].id, p[0].opens_on, p[0].id), reverse=True)
    return pairs


def school_trend_pairs(school_id: int) -> list[tuple[SurveyWave, SurveyWave]]:
    return trend_pairs(waves_with_results(school_id))


def class_trend_pairs(class_id: int) -> list[tuple[SurveyWave, SurveyWave]]:
    return trend_pairs(class_waves(class_id))


def _pair(autumn_wave_id: int, spring_wave_id: int, school_id: int) -> None:
    """Refuse (``not-found``) anything but an autumn → spring pair of the school."""
    waves = [db.session.get(SurveyWave, w) for w in (autumn_wave_id, spring_wave_id)]
    if any(w is None or w.school_id != school_id for w in waves):
        raise ResultsProblem("not-found")
    pairs = trend_pairs([w for w in waves if w is not None])
    if [(a.id, s.id) for a, s in pairs] != [(autumn_wave_id, spring_wave_id)]:
        raise ResultsProblem("not-found")


def school_trends(
    autumn_wave_id: int, spring_wave_id: int, *, school_id: int, catalog: Catalog
) -> WaveTrends:
    """Autumn → spring for the school and each class in both waves (a school coordinator's);
    both waves are read, and checked, as their own pages are."""
    _pair(autumn_wave_id, spring_wave_id, school_id)
    autumn = wave_results(autumn_wave_id, school_id=school_id, catalog=catalog)
    spring = wave_results(spring_wave_id, school_id=school_id, catalog=catalog)
    earlier = {unit.unit_id: unit for unit in autumn.classes}
    classes = tuple(
        trend(earlier[unit.unit_id], unit) for unit in spring.classes if unit.unit_id in earlier
    )
    return WaveTrends(autumn, spring, trend(autumn.school, spring.school), classes)


def class_trend(
    autumn_wave_id: int, spring_wave_id: int, *, class_id: int, catalog: Catalog
) -> Trend:
    """Autumn → spring for one class (its teacher's view); the checks still cover both waves."""
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id is None:
        raise ResultsProblem("not-found")
    found = school_trends(
        autumn_wave_id, spring_wave_id, school_id=school_class.school_id, catalog=catalog
    )
    unit = next((t for t in found.classes if t.unit_id == class_id), None)
    if unit is None:
        raise ResultsProblem("not-found")
    return unit


def unit_trend(
    level: str,
    unit_id: int,
    autumn_wave_id: int,
    spring_wave_id: int,
    *,
    school_id: int,
    catalog: Catalog,
) -> Trend:
    """Autumn → spring for the school or one of its classes; both waves must be the school's."""
    both = [
        wave_results(w, school_id=school_id, catalog=catalog)
        for w in (autumn_wave_id, spring_wave_id)
    ]
    found = []
    for results in both:
        units = [results.school] if level == SCHOOL else list(results.classes)
        unit = next((u for u in units if u.unit_id == unit_id and u.level == level), None)
        if unit is None:
            raise ResultsProblem("not-found")
        found.append(unit)
    return trend(found[0], found[1])
