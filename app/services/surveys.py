"""Running class surveys: waves, class windows, anonymous submission, participation counts.

Anonymous by construction (PRIVACY.md section 1): the participation ledger holds a keyed hash
of the platform's user id and the window, never the person; a response holds a random id, its
window and the answers, nothing else. A submission writes its ledger row and a held response
in one transaction; held responses move to ``survey_response`` in shuffled batches of at least
``BATCH`` (all of them when the window closes), each batch its own transaction, so that no
transaction id, physical order or dump order ties a response to fewer than ``BATCH`` children.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from ..content import Catalog
from ..content.survey_schema import AgeGroup, Respondent, Survey
from ..extensions import db
from ..models import Person, SchoolClass
from ..models.survey import (
    SurveyHeldResponse,
    SurveyParticipation,
    SurveyResponse,
    SurveyWave,
    SurveyWindow,
    random_id,
)
from . import area_results, report_packages, survey_results

BATCH = 5
ANSWERED, DECLINED = "answered", "declined"
OPEN, CLOSED = "open", "closed"
CONSENT_MODES = ("opt-out", "active")
WAVE_CODE = re.compile(r"^\d{4}-[a-z0-9]+(?:-[a-z0-9]+)*$")
# The age groups a class of each lesson band may survey.
BAND_AGE_GROUPS: Mapping[str, tuple[AgeGroup, ...]] = {
    "preschool": (AgeGroup.PRESCHOOL,),
    "primary": (AgeGroup.GRADES_1_2, AgeGroup.GRADES_3_4),
    "basic": (AgeGroup.GRADES_5_9,),
    "upper": (AgeGroup.GRADES_10_11,),
    "tvet": (AgeGroup.TVET,),
}
_RNG = random.SystemRandom()


class SurveyProblem(Exception):
    """A survey action that cannot be done; ``reason`` names it for a plain-language message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- waves ----------------------------------------------------------------------------------


def default_instruments(catalog: Catalog) -> dict[str, str]:
    """The shipped instrument for every age group that has one."""
    found = {}
    for group in AgeGroup:
        survey = catalog.survey_for(group)
        if survey is not None:
            found[group.value] = survey.id
    return found


def open_wave(
    school_id: int,
    code: str,
    opens_on: date,
    closes_on: date,
    consent: str,
    instruments: Mapping[str, str],
    catalog: Catalog,
) -> SurveyWave:
    """Set up a wave for a school; teachers then open it in their classes."""
    code = code.strip().lower()
    if not WAVE_CODE.match(code) or len(code) > 40:
        raise SurveyProblem("bad-code")
    if closes_on < opens_on:
        raise SurveyProblem("bad-dates")
    if consent not in CONSENT_MODES:
        raise SurveyProblem("bad-consent")
    for group, survey_id in instruments.items():
        survey = catalog.survey(survey_id)
        if survey is None or AgeGroup(group) not in survey.age_groups:
            raise SurveyProblem("bad-instrument")
    wave = SurveyWave(
        school_id=school_id,
        code=code,
        opens_on=opens_on,
        closes_on=closes_on,
        consent=consent,
        instruments=dict(instruments),
        status=OPEN,
    )
    db.session.add(wave)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SurveyProblem("wave-exists") from None
    return wave


def waves_of(school_id: int) -> list[SurveyWave]:
    return list(
        db.session.scalars(
            select(SurveyWave)
            .where(SurveyWave.school_id == school_id)
            .order_by(SurveyWave.opens_on.desc(), SurveyWave.id.desc())
        )
    )


def wave_of_school(wave_id: int, school_id: int | None) -> SurveyWave | None:
    """The wave, if it belongs to ``school_id`` (a person's scope is checked here, once)."""
    wave = db.session.get(SurveyWave, wave_id)
    return wave if wave is not None and wave.school_id == school_id else None


def close_wave(
    wave: SurveyWave, today: date, catalog: Catalog | None = None, *, deliver: bool = False
) -> None:
    """Close the wave and every window of it; held responses all reach the responses table.
    With ``catalog``, the wave's results are computed and frozen right away, and so are the
    area figures of every period that is final by now (``area_results``; their packages are
    queued for delivery when ``deliver``)."""
    for window in db.session.scalars(
        select(SurveyWindow).where(SurveyWindow.wave_id == wave.id, SurveyWindow.status == OPEN)
    ):
        close_window(window, today)
    wave.status = CLOSED
    wave.closed_on = today
    db.session.commit()
    if catalog is not None:
        try:
            survey_results.freeze(wave.id, catalog)
        except survey_results.ResultsProblem:
            db.session.rollback()  # the first read tries again and says why
        try:
            area_results.aggregate_due(catalog, today=today, deliver=deliver)
        except (area_results.AreaProblem, report_packages.PackageError):
            db.session.rollback()  # the wave is closed; the period is tried again later


def is_live(wave: SurveyWave, today: date) -> bool:
    return wave.status == OPEN and wave.opens_on <= today <= wave.closes_on


# -- class windows --------------------------------------------------------------------------


def age_groups_for(school_class: SchoolClass) -> tuple[AgeGroup, ...]:
    return BAND_AGE_GROUPS.get(school_class.band or "", ())


def open_window(
    wave: SurveyWave,
    school_class: SchoolClass,
    age_group: str,
    catalog: Catalog,
    today: date,
    roster_size: int | None = None,
) -> SurveyWindow:
    """Start the wave's survey in a class (the class teacher does, in class); ``roster_size``:
    how many students Moodle's roster lists now, when it shares one."""
    if not is_live(wave, today):
        raise SurveyProblem("wave-not-open")
    if school_class.school_id != wave.school_id:
        raise SurveyProblem("not-this-school")
    if age_group not in {g.value for g in age_groups_for(school_class)}:
        raise SurveyProblem("bad-age-group")
    survey = catalog.survey(wave.instruments.get(age_group, ""))
    if survey is None:
        raise SurveyProblem("bad-instrument")
    window = SurveyWindow(
        wave_id=wave.id,
        school_class_id=school_class.id,
        age_group=age_group,
        survey_id=survey.id,
        survey_version=survey.version,
        status=OPEN,
        opened_on=today,
        roster_size=roster_size,
    )
    db.session.add(window)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SurveyProblem("window-exists") from None
    return window


def close_window(window: SurveyWindow, today: date, roster_size: int | None = None) -> None:
    """Close a class window: every held response moves now, whatever the batch size.
    ``roster_size`` (the roster's count now, when known) replaces the one from the start."""
    changes: dict[str, Any] = {"status": CLOSED, "closed_on": today}
    if roster_size is not None:
        changes["roster_size"] = roster_size
    db.session.execute(
        update(SurveyWindow)
        .where(SurveyWindow.id == window.id, SurveyWindow.status == OPEN)
        .values(**changes)
    )
    db.session.commit()
    move_held(window.id, closing=True)


def windows_of_class(school_class_id: int) -> list[tuple[SurveyWindow, SurveyWave]]:
    rows = db.session.execute(
        select(SurveyWindow, SurveyWave)
        .join(SurveyWave, SurveyWave.id == SurveyWindow.wave_id)
        .where(SurveyWindow.school_class_id == school_class_id)
        .order_by(SurveyWave.opens_on.desc())
    ).all()
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class OpenWindow:
    id: int
    survey_id: str


_OPEN_WINDOWS = (
    select(SurveyWindow.id, SurveyWindow.survey_id)
    .join(SurveyWave, SurveyWave.id == SurveyWindow.wave_id)
    .where(
        SurveyWindow.school_class_id == bindparam("school_class_id"),
        SurveyWindow.status == OPEN,
    )
    .order_by(SurveyWave.opens_on.desc())
)


def open_for_students(catalog: Catalog, school_class_id: int) -> list[OpenWindow]:
    """The class's open windows whose instrument students answer, newest wave first.

    One statement and no ORM objects: every student's launch opens the page that lists them.
    """
    rows = db.session.connection().execute(_OPEN_WINDOWS, {"school_class_id": school_class_id})
    return [
        OpenWindow(id=row.id, survey_id=row.survey_id)
        for row in rows
        if _students_answer(catalog, row.survey_id)
    ]


def window_of_class(window_id: int, school_class_id: int | None) -> SurveyWindow | None:
    """The window, if it is of ``school_class_id`` (the launched class)."""
    window = db.session.get(SurveyWindow, window_id)
    return window if window is not None and window.school_class_id == school_class_id else None


@dataclass(frozen=True)
class Participation:
    answered: int
    declined: int


def participation(window_id: int) -> Participation:
    counts = dict(
        db.session.execute(
            select(SurveyParticipation.outcome, func.count())
            .where(SurveyParticipation.window_id == window_id)
            .group_by(SurveyParticipation.outcome)
        ).all()
    )
    return Participation(answered=counts.get(ANSWERED, 0), declined=counts.get(DECLINED, 0))


@dataclass(frozen=True)
class WindowRow:
    class_title: str
    age_group: str
    status: str
    answered: int
    declined: int


def wave_overview(wave_id: int) -> list[WindowRow]:
    """Each class window of a wave with its participation counts (counts only, ever)."""
    counted = (
        select(
            SurveyParticipation.window_id,
            func.sum(case((SurveyParticipation.outcome == ANSWERED, 1), else_=0)).label("a"),
            func.sum(case((SurveyParticipation.outcome == DECLINED, 1), else_=0)).label("d"),
        )
        .group_by(SurveyParticipation.window_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            SchoolClass.title,
            SurveyWindow.age_group,
            SurveyWindow.status,
            func.coalesce(counted.c.a, 0),
            func.coalesce(counted.c.d, 0),
        )
        .join(SchoolClass, SchoolClass.id == SurveyWindow.school_class_id)
        .outerjoin(counted, counted.c.window_id == SurveyWindow.id)
        .where(SurveyWindow.wave_id == wave_id)
        .order_by(SchoolClass.title)
    ).all()
    return [WindowRow(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4])) for r in rows]


# -- taking part ----------------------------------------------------------------------------


def participant_key(secret: bytes, sub: str, window_id: int) -> str:
    """A keyed hash of the platform's user id and the window: stops a second submission,
    and says nothing about the person to anyone without the server's secret."""
    return hmac.new(secret, f"{window_id}:{sub}".encode(), hashlib.sha256).hexdigest()


def has_taken_part(secret: bytes, sub: str, window_id: int) -> bool:
    key = participant_key(secret, sub, window_id)
    return (
        db.session.scalar(
            select(SurveyParticipation.id).where(
                SurveyParticipation.window_id == window_id,
                SurveyParticipation.participant_key == key,
            )
        )
        is not None
    )


def clean_answers(survey: Survey, raw: Mapping[str, str]) -> dict[str, int]:
    """The answers as item id → option value; unknown items or options are refused, and an
    item left unanswered is simply absent (any item may be skipped)."""
    answers: dict[str, int] = {}
    options = survey.option_values
    for item_id, option_id in raw.items():
        if not option_id:
            continue
        value = options.get(item_id, {}).get(option_id)
        if value is None:
            raise SurveyProblem("bad-answer")
        answers[item_id] = value
    return answers


@dataclass(frozen=True)
class Target:
    """What a submission needs to know, read in one statement: the window of the launched
    class, its instrument and state, and the person's platform user id (to key the ledger)."""

    window_id: int
    survey_id: str
    status: str
    sub: str


_WINDOW = SurveyWindow.__table__
_LEDGER = SurveyParticipation.__table__
_HELD = SurveyHeldResponse.__table__
_RESPONSE = SurveyResponse.__table__
# Statements built once: a submission is a hot path when a whole school answers at once.
_PERSON = Person.__table__
# The window and the person are unrelated rows: joined on "true", read in one round trip.
_TARGET = (
    select(_WINDOW.c.id, _WINDOW.c.survey_id, _WINDOW.c.status, _PERSON.c.sub)
    .select_from(_WINDOW.join(_PERSON, true()))
    .where(
        _WINDOW.c.id == bindparam("window_id"),
        _WINDOW.c.school_class_id == bindparam("class_id"),
        _PERSON.c.id == bindparam("person_id"),
    )
)
# The ledger row is written only while the window is open, read again under a share lock
# held until the transaction ends: a closing waits for the submissions in flight, and one that
# comes after it finds the window closed and writes nothing (the request's copy may be stale).


def _ledger_insert() -> Any:
    return insert(_LEDGER).from_select(
        ["id", "window_id", "participant_key", "outcome"],
        select(
            bindparam("id", type_=_LEDGER.c.id.type),
            _WINDOW.c.id,
            bindparam("key", type_=_LEDGER.c.participant_key.type),
            bindparam("outcome", type_=_LEDGER.c.outcome.type),
        )
        .where(_WINDOW.c.id == bindparam("window_id"), _WINDOW.c.status == OPEN)
        .with_for_update(read=True),
    )


_ADD_LEDGER = _ledger_insert().returning(_LEDGER.c.id)
_ADD_HELD = insert(_HELD).values(
    id=bindparam("id"),
    window_id=bindparam("window_id"),
    answers=bindparam("answers", type_=_HELD.c.answers.type),
)
_HELD_COUNT = (
    select(func.count()).select_from(_HELD).where(_HELD.c.window_id == bindparam("window_id"))
)


# PostgreSQL does the ledger row, the held response and the count of held ones in one round
# trip (data-modifying CTEs); the held row is written only if the ledger row was. The count
# sees the table as the statement began, so it leaves out the row just written.
_LEDGER_ROW = _ledger_insert().returning(_LEDGER.c.window_id).cte("ledger")
_HELD_ROW = (
    insert(_HELD)
    .from_select(
        ["id", "window_id", "answers"],
        select(
            bindparam("held_id", type_=_HELD.c.id.type),
            _LEDGER_ROW.c.window_id,
            bindparam("answers", type_=_HELD.c.answers.type),
        ),
    )
    .returning(_HELD.c.id)
    .cte("held")
)
_ANSWER_IN_ONE = select(
    select(func.count()).select_from(_HELD_ROW).scalar_subquery().label("written"),
    _HELD_COUNT.scalar_subquery().label("waiting"),
)

# PostgreSQL moves a batch in one statement too: it locks the window's held responses that no
# other batch has taken (SKIP LOCKED), deletes them only if there are at least BATCH, and writes
# them back in a random order with new random ids (both from gen_random_uuid(), a strong
# random source). Deleting and writing are one statement, so one transaction: none is lost.
_CANDIDATES = (
    select(_HELD.c.id)
    .where(_HELD.c.window_id == bindparam("window_id"))
    .with_for_update(skip_locked=True)
    .cte("candidates")
    .prefix_with("MATERIALIZED")
)
_TAKEN = (
    delete(_HELD)
    .where(
        _HELD.c.id.in_(select(_CANDIDATES.c.id)),
        select(func.count()).select_from(_CANDIDATES).scalar_subquery() >= BATCH,
    )
    .returning(_HELD.c.answers)
    .cte("taken")
)
_MOVE_BATCH = insert(_RESPONSE).from_select(
    ["id", "window_id", "answers"],
    select(
        func.replace(cast(func.gen_random_uuid(), Text), "-", ""),
        bindparam("window_id", type_=_RESPONSE.c.window_id.type),
        _TAKEN.c.answers,
    ).order_by(func.gen_random_uuid()),
)


def _connection() -> Any:
    # The session's own connection and transaction, without the ORM's per-statement work.
    return db.session.connection()


def _on_postgresql() -> bool:
    return bool(db.engine.dialect.name == "postgresql")


# The connection that ``one_connection()`` lends to the single statements of one request.
_LENT: ContextVar[Connection | None] = ContextVar("qadam_survey_connection", default=None)


@contextmanager
def _alone() -> Iterator[Connection]:
    """A connection on which every statement is a transaction of its own (autocommit).

    For PostgreSQL's single-statement submissions: no BEGIN and COMMIT round trips around a
    statement that is a whole transaction by itself, and no ORM session work. Once a
    statement has returned, it is committed.
    """
    lent = _LENT.get()
    if lent is not None:
        yield lent
        return
    with db.engine.connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def one_connection() -> Iterator[None]:
    """Run a request's survey statements (the target read, then the answer or the decline) on
    one pooled connection rather than one each (PostgreSQL; nothing changes on SQLite)."""
    if not _on_postgresql():
        yield
        return
    with _alone() as connection:
        token = _LENT.set(connection)
        try:
            yield
        finally:
            _LENT.reset(token)


def submission_target(window_id: int, school_class_id: int | None, person_id: int) -> Target | None:
    """The window, if it is of the launched class, with the person's platform user id."""
    if school_class_id is None:
        return None
    params = {"window_id": window_id, "class_id": school_class_id, "person_id": person_id}
    if _on_postgresql():
        with _alone() as connection:
            row = connection.execute(_TARGET, params).first()
    else:
        row = _connection().execute(_TARGET, params).first()
    return Target(int(row[0]), str(row[1]), str(row[2]), str(row[3])) if row else None


def _record(window_id: int, key: str, outcome: str, connection: Any = None) -> None:
    """Write the ledger row while the window is still open; raise ``window-closed`` if not.
    On the session's transaction unless given a ``connection``."""
    written = (
        (connection or _connection())
        .execute(
            _ADD_LEDGER, {"id": random_id(), "window_id": window_id, "key": key, "outcome": outcome}
        )
        .first()
    )
    if written is None:
        db.session.rollback()
        raise SurveyProblem("window-closed")


def submit(target: Target, survey: Survey, secret: bytes, raw: Mapping[str, str]) -> None:
    """Record one person's answers: the ledger row and a held response, in one transaction.

    Refuses a second submission (or a submission after declining) politely; once this
    returns, the response is stored and counted exactly once, whatever crashes later.
    """
    if target.status != OPEN:
        raise SurveyProblem("window-closed")
    answers = clean_answers(survey, raw)
    key = participant_key(secret, target.sub, target.window_id)
    if _on_postgresql():
        _submit_alone(target.window_id, key, answers)
    else:
        _submit_in_session(target.window_id, key, answers)


def _submit_alone(window_id: int, key: str, answers: dict[str, int]) -> None:
    """PostgreSQL: the answer in one statement, then a batch move in one more when due."""
    with _alone() as connection:
        try:
            row = connection.execute(
                _ANSWER_IN_ONE,
                {
                    "id": random_id(),
                    "window_id": window_id,
                    "key": key,
                    "outcome": ANSWERED,
                    "held_id": random_id(),
                    "answers": answers,
                },
            ).one()
        except IntegrityError:
            raise SurveyProblem("already-taken-part") from None
        if not row.written:
            raise SurveyProblem("window-closed")
        if int(row.waiting) + 1 >= BATCH:
            connection.execute(_MOVE_BATCH, {"window_id": window_id})


def _submit_in_session(window_id: int, key: str, answers: dict[str, int]) -> None:
    """SQLite: the ledger row, the held response and the count, one transaction."""
    try:
        _record(window_id, key, ANSWERED)
        _connection().execute(
            _ADD_HELD, {"id": random_id(), "window_id": window_id, "answers": answers}
        )
        waiting = _connection().execute(_HELD_COUNT, {"window_id": window_id}).scalar() or 0
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SurveyProblem("already-taken-part") from None
    if waiting >= BATCH:
        move_held(window_id, waiting=waiting)


def decline(target: Target, secret: bytes) -> None:
    """Record that someone chose not to take part (counted, nothing else)."""
    if target.status != OPEN:
        raise SurveyProblem("window-closed")
    key = participant_key(secret, target.sub, target.window_id)
    try:
        if _on_postgresql():
            with _alone() as connection:
                _record(target.window_id, key, DECLINED, connection)
        else:
            _record(target.window_id, key, DECLINED)
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SurveyProblem("already-taken-part") from None


def move_held(window_id: int, *, closing: bool = False, waiting: int | None = None) -> int:
    """Move held responses of a window to the responses table as one shuffled batch.

    Only a batch of at least ``BATCH`` moves (any size when ``closing``); the rows are taken
    with one ``DELETE … RETURNING`` and written back in random order with new random ids, in
    their own transaction. A batch smaller than allowed is rolled back and waits. Returns how
    many moved.
    """
    table = SurveyHeldResponse.__table__
    if not closing:
        if waiting is None:  # the caller may have just counted them in its own statement
            waiting = db.session.scalar(
                select(func.count()).select_from(table).where(table.c.window_id == window_id)
            )
        if (waiting or 0) < BATCH:
            db.session.rollback()
            return 0
    taken = (
        _connection()
        .execute(delete(table).where(table.c.window_id == window_id).returning(table.c.answers))
        .all()
    )
    if not taken or (len(taken) < BATCH and not closing):
        db.session.rollback()  # another worker took part of them: wait for a full batch
        return 0
    rows = [{"id": random_id(), "window_id": window_id, "answers": row[0]} for row in taken]
    _RNG.shuffle(rows)
    _connection().execute(insert(SurveyResponse.__table__), rows)
    db.session.commit()
    return len(rows)


def respondent_is(survey: Survey, role: str) -> bool:
    """Whether a person of ``role`` (student/teacher) answers this instrument."""
    wanted = Respondent.TEACHER if role in ("teacher", "coordinator") else Respondent.STUDENT
    return survey.respondent is wanted


def for_students(catalog: Catalog, window: SurveyWindow) -> bool:
    """Whether students answer the window's instrument (preschool: the teacher does)."""
    return _students_answer(catalog, window.survey_id)


def _students_answer(catalog: Catalog, survey_id: str) -> bool:
    survey = catalog.survey(survey_id)
    return survey is not None and survey.respondent is Respondent.STUDENT
