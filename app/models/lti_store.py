"""Short-lived LTI state shared by all workers: nonces, login state, launches, key sets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UtcDateTime


class LtiStoreEntry(db.Model):  # type: ignore[name-defined]
    __tablename__ = "lti_store_entry"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
