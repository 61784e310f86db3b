"""The LTI key-value store on the database, shared by every worker process."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LtiStoreEntry
from ..models.base import utcnow

DEFAULT_TTL = 24 * 3600
# Expired entries are swept on every this-many writes in a process.
SWEEP_EVERY = 200
_writes = itertools.count(1)


class DatabaseKeyValueStore:
    """Implements :class:`lti.KeyValueStore` on the ``lti_store_entry`` table."""

    def get(self, key: str) -> Any | None:
        row = db.session.execute(
            select(LtiStoreEntry.value, LtiStoreEntry.expires_at).where(LtiStoreEntry.key == key)
        ).first()
        db.session.commit()
        if row is None or row.expires_at <= utcnow():
            return None
        return row.value

    def set(self, key: str, value: Any, ttl_seconds: int | None) -> None:
        expires = utcnow() + timedelta(seconds=ttl_seconds or DEFAULT_TTL)
        if next(_writes) % SWEEP_EVERY == 0:
            self.sweep()
        entry = db.session.get(LtiStoreEntry, key)
        if entry is None:
            db.session.add(LtiStoreEntry(key=key, value=value, expires_at=expires))
        else:
            entry.value = value
            entry.expires_at = expires
        try:
            db.session.commit()
        except IntegrityError:
            # Another worker wrote the same key first; the later write wins.
            db.session.rollback()
            entry = db.session.get(LtiStoreEntry, key)
            if entry is not None:
                entry.value = value
                entry.expires_at = expires
            db.session.commit()

    def take(self, key: str) -> Any | None:
        value = self.get(key)
        if value is None:
            return None
        result = db.session.execute(
            delete(LtiStoreEntry).where(LtiStoreEntry.key == key),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
        # Only the caller whose delete removed the row gets the value: single use.
        return value if result.rowcount == 1 else None  # type: ignore[attr-defined]

    def delete(self, key: str) -> None:
        db.session.execute(
            delete(LtiStoreEntry).where(LtiStoreEntry.key == key),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()

    def sweep(self) -> int:
        """Delete expired entries; return how many."""
        result = db.session.execute(
            delete(LtiStoreEntry).where(LtiStoreEntry.expires_at <= utcnow()),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]
