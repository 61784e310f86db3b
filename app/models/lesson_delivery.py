"""Lessons a teacher has marked as given to a class."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UtcDateTime, utcnow


class LessonDelivery(db.Model):  # type: ignore[name-defined]
    __tablename__ = "lesson_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_class_id: Mapped[int] = mapped_column(
        ForeignKey("school_class.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[str] = mapped_column(String(100))
    given_on: Mapped[date] = mapped_column(Date)
    # Which session of the lesson was given: 1 is its main sections, 2 to 6 its later rounds.
    session: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
