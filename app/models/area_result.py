"""Frozen area figures for the risk map: computed once per period, then only read.

Rows hold the true counts of every district (or city) and region per indicator, with the
status that disclosure control gave each cell; what leaves Qadam (the map, the packages) is
the published form: numbers only for ``ok`` cells, rounded to 5 (``services/area_results``).
Labels are copied in, so a later change of content never changes a frozen period.
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

AREA_STATUSES = (
    "ok",
    "below_gate",
    "suppressed_primary",
    "suppressed_secondary",
    "unavailable",
)


class AreaResultSet(db.Model):  # type: ignore[name-defined]
    """That a period's area figures are frozen: the method, what was counted, and
    ``blocked`` when the recoverability check refused publication (then it has no rows)."""

    __tablename__ = "area_result_set"

    period: Mapped[str] = mapped_column(String(40), primary_key=True)  # such as 2026-27-S1
    kato_version: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(60))
    computed_on: Mapped[date] = mapped_column(Date)
    final_on: Mapped[date] = mapped_column(Date)  # the day the period's figures became final
    schools: Mapped[int] = mapped_column(Integer)  # schools whose wave is counted
    left_out: Mapped[int] = mapped_column(Integer)  # schools with a wave in the period not counted
    blocked: Mapped[str | None] = mapped_column(Text)


class AreaResult(db.Model):  # type: ignore[name-defined]
    """One indicator of one district, city or region in a frozen period."""

    __tablename__ = "area_result"
    __table_args__ = (
        UniqueConstraint("period", "area_code", "indicator"),
        CheckConstraint(
            "status IN ('ok', 'below_gate', 'suppressed_primary', 'suppressed_secondary', "
            "'unavailable')",
            name="area_status",
        ),
        CheckConstraint("level IN ('region', 'district')", name="area_level"),
        CheckConstraint("0 <= numerator AND numerator <= denominator", name="area_counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(
        ForeignKey("area_result_set.period", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(10))  # region | district (the map's levels)
    kind: Mapped[str] = mapped_column(String(10))  # region | city | district (the package's)
    area_code: Mapped[str] = mapped_column(String(9))
    parent_code: Mapped[str | None] = mapped_column(String(9))
    indicator: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    reported_as: Mapped[str] = mapped_column(String(20))
    label: Mapped[dict] = mapped_column(JSON)  # {kk, ru, en} of survey indicators; {} otherwise
    schools: Mapped[int] = mapped_column(Integer)  # schools contributing to the cell
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
