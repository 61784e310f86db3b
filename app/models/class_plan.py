"""A class's own order of its year plan, when its teacher has changed the default one."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ClassPlanEntry(db.Model):  # type: ignore[name-defined]
    """One place in the order: a lesson's round (1 to 3) of the school year.

    The round, not the session, is stored: the same order serves both years of the rotation
    (water and ice before the spring thaw, every year).
    """

    __tablename__ = "class_plan_entry"
    __table_args__ = (
        UniqueConstraint("school_class_id", "position"),
        UniqueConstraint("school_class_id", "lesson_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraints index the class's rows; no index of its own is needed.
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    lesson_id: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
