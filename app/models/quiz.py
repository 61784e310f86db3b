"""Quiz attempts and their answers, and the resource links that grades are sent through."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UtcDateTime, utcnow


def new_shuffle_seed() -> int:
    return secrets.randbelow(2**31)


class ResourceLink(db.Model):  # type: ignore[name-defined]
    """An activity in a platform's course and its gradebook service (AGS), as last launched."""

    __tablename__ = "resource_link"
    __table_args__ = (UniqueConstraint("school_class_id", "link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"))
    link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    lesson_id: Mapped[str | None] = mapped_column(String(100))
    ags_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    lineitems_url: Mapped[str | None] = mapped_column(Text)
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    # Which finished attempt the gradebook gets, when the activity chose (custom qadam_counts).
    counts: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LinkLineItem(db.Model):  # type: ignore[name-defined]
    """The gradebook column (line item) that scores of one resource take through one link.

    A row with no URL yet is a claim: one worker is finding or creating the column, so
    another does not create a second one.
    """

    __tablename__ = "link_line_item"
    __table_args__ = (UniqueConstraint("resource_link_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_link_id: Mapped[int] = mapped_column(
        ForeignKey("resource_link.id", ondelete="CASCADE")
    )
    resource_id: Mapped[str] = mapped_column(String(100))
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class QuizAttempt(db.Model):  # type: ignore[name-defined]
    """One attempt of a student at a quiz in a class. Answers are saved as they are given."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (UniqueConstraint("person_id", "school_class_id", "quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    school_class_id: Mapped[int] = mapped_column(
        ForeignKey("school_class.id", ondelete="CASCADE"), index=True
    )
    quiz_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    # The activity whose gradebook column gets the score; None when the launch had no AGS.
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_link.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)  # the question on screen
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    score: Mapped[float | None] = mapped_column(Float)  # 0..1, once submitted
    # Orders the options for this attempt; None (attempts from before shuffling): as authored.
    shuffle_seed: Mapped[int | None] = mapped_column(Integer, default=new_shuffle_seed)

    answers: Mapped[list[QuizAnswer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="QuizAnswer.id"
    )
    resource_link: Mapped[ResourceLink | None] = relationship()


class QuizAnswer(db.Model):  # type: ignore[name-defined]
    """The options a student chose for one question of an attempt."""

    __tablename__ = "quiz_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    choice: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Checked: the student saw the feedback, so the answer can no longer change.
    checked: Mapped[bool] = mapped_column(default=False)
    points: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """Something another system must receive (a score for the gradebook), until it does."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    # One message per change that needs delivery: a second write of the same key is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # Set by the worker holding the message; an outcome is written only under the same claim.
    claim: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
