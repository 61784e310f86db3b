"""Anonymous class surveys: waves, class windows, the participation ledger and the responses.

The ledger says only *that* someone took part (a keyed hash, never the person); responses
carry no user key of any kind, no time, and a random id. A submission writes its ledger row
and a *held* response; held responses reach ``survey_response`` in shuffled batches of at
least five, each batch its own transaction, so neither transaction ids nor physical row order
tie a response to its ledger row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UtcDateTime, utcnow


def random_id() -> str:
    return uuid.uuid4().hex


class SurveyWave(db.Model):  # type: ignore[name-defined]
    """A school's survey period (e.g. ``2026-autumn``): dates, consent mode, instruments."""

    __tablename__ = "survey_wave"
    __table_args__ = (
        UniqueConstraint("school_id", "code"),
        CheckConstraint("consent IN ('opt-out', 'active')", name="consent_mode"),
        CheckConstraint("status IN ('open', 'closed')", name="wave_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    consent: Mapped[str] = mapped_column(String(10))
    # The instrument (survey id) per age group, chosen when the wave is set up.
    instruments: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="open")
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SurveyWindow(db.Model):  # type: ignore[name-defined]
    """A wave's survey in one class, opened and closed by the class teacher."""

    __tablename__ = "survey_window"
    __table_args__ = (
        UniqueConstraint("wave_id", "school_class_id"),
        CheckConstraint("status IN ('open', 'closed')", name="window_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="CASCADE"))
    school_class_id: Mapped[int] = mapped_column(
        ForeignKey("school_class.id", ondelete="CASCADE"), index=True
    )
    age_group: Mapped[str] = mapped_column(String(20))
    survey_id: Mapped[str] = mapped_column(String(100))
    survey_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # How many students Moodle's roster (NRPS) listed when the teacher last started or closed
    # the survey in class: a count only, for the participation rate; None without a roster.
    roster_size: Mapped[int | None] = mapped_column(Integer)


class SurveyParticipation(db.Model):  # type: ignore[name-defined]
    """The ledger: that a participant answered or declined in a window, never who."""

    __tablename__ = "survey_participation"
    __table_args__ = (
        UniqueConstraint("window_id", "participant_key"),
        CheckConstraint("outcome IN ('answered', 'declined')", name="participation_outcome"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    window_id: Mapped[int] = mapped_column(
        ForeignKey("survey_window.id", ondelete="CASCADE"), index=True
    )
    # HMAC of the platform's user id and the window, with a server secret.
    participant_key: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))


# The only columns a response may have. ``tests`` compare the database's own schema with this.
RESPONSE_COLUMNS = ("id", "window_id", "answers")


class SurveyHeldResponse(db.Model):  # type: ignore[name-defined]
    """A submitted response waiting for a batch; deleted when its batch moves."""

    __tablename__ = "survey_held_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    window_id: Mapped[int] = mapped_column(
        ForeignKey("survey_window.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[dict] = mapped_column(JSON)


class SurveyResponse(db.Model):  # type: ignore[name-defined]
    """One anonymous response: a random id, its window, the answers (item id → option value).

    No user and no time: the table has no column for them, and a test compares the database's
    own schema of this table with ``RESPONSE_COLUMNS``.
    """

    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    window_id: Mapped[int] = mapped_column(
        ForeignKey("survey_window.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[dict] = mapped_column(JSON)


def only_columns_ddl(table: str, columns: tuple[str, ...]) -> str:
    """PostgreSQL: a check that fails every row once the table has any other column.

    A column added later (``user_id``, ``created_at`` …) makes every insert fail, so no such
    column can be used: anonymity is enforced by the database, not only by the code.
    """
    minus = " - ".join(f"'{column}'" for column in columns)
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_only_anonymous_columns "
        f"CHECK ((to_jsonb({table}.*) - {minus}) = '{{}}'::jsonb)"
    )


LEDGER_COLUMNS = ("id", "window_id", "participant_key", "outcome")
ANONYMOUS_TABLES = {
    "survey_response": RESPONSE_COLUMNS,
    "survey_held_response": RESPONSE_COLUMNS,
    "survey_participation": LEDGER_COLUMNS,
}
for _model in (SurveyResponse, SurveyHeldResponse, SurveyParticipation):
    _name = _model.__tablename__
    event.listen(
        _model.__table__,
        "after_create",
        DDL(only_columns_ddl(_name, ANONYMOUS_TABLES[_name])).execute_if(dialect="postgresql"),
    )
