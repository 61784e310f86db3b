"""Areas: the regions and districts of Kazakhstan by KATO code, imported from the shipped lists."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Area(db.Model):  # type: ignore[name-defined]
    """A region (oblys or city of republican significance) or a district (audan, city of
    regional significance, city district) of one KATO version.

    A code that leaves the list in a later import is kept and marked ``retired``: schools
    mapped to it keep their history, and no new school is mapped to it.
    """

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("kato_version", "kato"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kato: Mapped[str] = mapped_column(String(9), index=True)
    kato_version: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(10))  # "region" | "district"
    parent_code: Mapped[str | None] = mapped_column(String(9))  # a district's region
    name_kk: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    retired: Mapped[bool] = mapped_column(default=False)
