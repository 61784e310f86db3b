"""Frozen survey results: computed once when a wave closes, then only read.

Rows hold the true counts of every class and the school per indicator, with the status that
disclosure control gave each cell; the read side shows numbers only for ``ok`` cells. Labels,
names and the method are copied in, so a later change of content, code or a class's title
never changes what a closed wave shows or exports.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

RESULT_STATUSES = ("ok", "below_gate", "suppressed_primary", "suppressed_secondary")


class SurveyResultSet(db.Model):  # type: ignore[name-defined]
    """That a closed wave's results are frozen, with the method; ``blocked`` when the
    recoverability check refused publication (then it has no rows)."""

    __tablename__ = "survey_result_set"

    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_wave.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[str] = mapped_column(String(60))
    computed_on: Mapped[date] = mapped_column(Date)
    blocked: Mapped[str | None] = mapped_column(Text)
    # Participation for the area figures, over the classes whose Moodle roster size is known
    # (a count, never names): their respondents (each class up to its roster size) and sizes.
    roster_respondents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    roster_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SurveyResult(db.Model):  # type: ignore[name-defined]
    """One indicator of one unit (a class or the school) in a frozen wave."""

    __tablename__ = "survey_result"
    __table_args__ = (
        # Also how the area figures read a period's school cells and the class cells of
        # hidden schools: from the index alone (the rows are wide, and each wave's school
        # rows lie among its class rows).
        UniqueConstraint(
            "wave_id",
            "level",
            "indicator",
            "unit_id",
            postgresql_include=["respondents", "numerator", "denominator", "status"],
        ),
        CheckConstraint(
            "status IN ('ok', 'below_gate', 'suppressed_primary', 'suppressed_secondary')",
            name="result_status",
        ),
        CheckConstraint("0 <= numerator AND numerator <= denominator", name="result_counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_result_set.wave_id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(20))  # class | school (areas later)
    unit_id: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(Integer)
    unit_name: Mapped[str] = mapped_column(String(255), default="")
    age_group: Mapped[str | None] = mapped_column(String(20))
    survey_id: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)  # the indicator's place in its instrument
    indicator: Mapped[str] = mapped_column(String(100))
    reported_as: Mapped[str] = mapped_column(String(20))
    label: Mapped[dict] = mapped_column(JSON)  # {kk, ru, en} as it was at the close
    respondents: Mapped[int] = mapped_column(Integer)
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
