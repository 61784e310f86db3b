"""Schools: every class belongs to one; coordinators and surveys are scoped by it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UtcDateTime, utcnow


class School(db.Model):  # type: ignore[name-defined]
    """A school (or college) of a platform.

    ``key`` says how launches find it: ``deployment:<deployment id>`` for the school a
    platform deployment stands for (the default), or ``param:<value>`` for a school named by
    the custom launch parameter the Moodle administrator sets on a course or category.
    """

    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("platform_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Where the school is (see services/areas.py): its 9-digit KATO locality as the operator
    # gave it, and the district and region derived from the shipped lists of ``kato_version``.
    kato_locality: Mapped[str | None] = mapped_column(String(9))
    kato_district: Mapped[str | None] = mapped_column(String(9), index=True)
    kato_region: Mapped[str | None] = mapped_column(String(9), index=True)
    kato_version: Mapped[str | None] = mapped_column(String(10))
