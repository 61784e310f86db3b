"""A child's request to talk to someone at school: explicitly not anonymous.

Kept apart from everything about surveys: its own table, no key shared with survey tables.
The child's name is not stored when Moodle shares names: staff read it live from the roster,
through ``person_id``. Only when Moodle does not share names does the child type one, which
is then the only way staff can know who asked.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

WHOM = ("psychologist", "class_teacher", "anti_bullying")
CATEGORIES = ("bullied", "someone_else", "online", "home", "sad", "other", "unsaid")
URGENCIES = ("soon", "today")
STATUSES = ("new", "contacted", "referred", "closed")
NOTE_MAX = 500
TYPED_NAME_MAX = 100


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


class TalkRequest(db.Model):  # type: ignore[name-defined]
    """One request, and the designated staff's short record of what was done about it."""

    __tablename__ = "talk_request"
    __table_args__ = (
        _one_of("whom", WHOM),
        _one_of("category", CATEGORIES),
        _one_of("urgency", URGENCIES),
        _one_of("status", STATUSES),
        # Exactly one way for staff to know who asked: the live roster, or a typed name.
        CheckConstraint("(person_id IS NULL) <> (typed_name IS NULL)", name="one_name_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The school is the class's (merging schools moves classes, and the requests with them).
    school_class_id: Mapped[int] = mapped_column(
        ForeignKey("school_class.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    typed_name: Mapped[str | None] = mapped_column(String(TYPED_NAME_MAX))
    whom: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="new", index=True)
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    created_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
