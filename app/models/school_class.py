"""Classes (a course context in a platform), the people in them, and their roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UtcDateTime, utcnow
from .platform import Deployment, Platform


class SchoolClass(db.Model):  # type: ignore[name-defined]
    """A Moodle course (LTI context) that launched Qadam."""

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    # Set at the class's first launch; moved only by an operator or coordinator (merge).
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), index=True
    )
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(100), default="")
    # The age band the teacher chose for the class (preschool, primary, basic, upper, tvet).
    band: Mapped[str | None] = mapped_column(String(20))
    # The grade in the band (preschool: the age the group starts at; colleges: year of study),
    # set by the teacher; it places the class in the band's two-year rotation of rounds.
    grade: Mapped[int | None] = mapped_column(Integer)
    # The platform's roster service (NRPS) for this class, when its launches offer one.
    roster_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_launch_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    platform: Mapped[Platform] = relationship()
    deployment: Mapped[Deployment] = relationship()


class Person(db.Model):  # type: ignore[name-defined]
    """Someone who launched Qadam, known only by the platform's opaque ``sub``."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Membership(db.Model):  # type: ignore[name-defined]
    """A person's role in a class, as of their latest launch."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "school_class_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    last_launch_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    school_class: Mapped[SchoolClass] = relationship()
