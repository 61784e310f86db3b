"""Coordinator rights: granted in Qadam, never by anything a teacher can set in Moodle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UtcDateTime, utcnow


class CoordinatorGrant(db.Model):  # type: ignore[name-defined]
    """A staff member of a platform who sees the coordinator pages when launching as staff."""

    __tablename__ = "coordinator_grant"
    # A grant is for one school or for one area, never both.
    __table_args__ = (
        CheckConstraint("school_id IS NULL OR area_code IS NULL", name="school_or_area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    # The school whose classes and totals the coordinator sees.
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="CASCADE"), index=True
    )
    # Or the area (9-digit KATO code of a region or district) whose schools an area
    # coordinator (district or region staff) sees.
    area_code: Mapped[str | None] = mapped_column(String(9), index=True)
    # Designated safeguarding staff (the school psychologist, the anti-bullying team).
    safeguarding: Mapped[bool] = mapped_column(default=False)
    # Who granted it: "operator" (a command on the server) or "coordinator:<person id>".
    granted_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
