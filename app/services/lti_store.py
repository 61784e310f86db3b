"""The LTI key-value store on the database, shared by every worker process.

Each operation is one SQL statement (an upsert, a select, a delete that returns what it
deleted), because a launch makes several of them and they are its main cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, text

from ..extensions import db
from ..models import LtiStoreEntry
from ..models.base import utcnow

DEFAULT_TTL = 24 * 3600
# Expired entries are swept on every this-many writes in a process.
SWEEP_EVERY = 500
_writes = itertools.count(1)
_table = LtiStoreEntry.__table__


# The same upsert on SQLite and PostgreSQL; built once, it is the cheapest write there is.
_UPSERT_SQL = (
    "INSERT INTO lti_store_entry (key, value, expires_at) VALUES (:key, :value, :expires_at) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
)
_ENTRY_PARAMS = (
    bindparam("key", type_=_table.c.key.type),
    bindparam("value", type_=_table.c.value.type),
    bindparam("expires_at", type_=_table.c.expires_at.type),
)
_UPSERT = text(_UPSERT_SQL).bindparams(*_ENTRY_PARAMS)
# Stores only where no live entry is: a new key, or one whose entry expired but was not swept.
_ADD = text(_UPSERT_SQL + " WHERE lti_store_entry.expires_at <= :now").bindparams(
    *_ENTRY_PARAMS, bindparam("now", type_=_table.c.expires_at.type)
)


# Statements built once: building SQLAlchemy expressions costs more than running them here.
_GET = select(_table.c.value).where(
    _table.c.key == bindparam("key"), _table.c.expires_at > bindparam("now")
)
_TAKE = (
    delete(_table)
    .where(_table.c.key == bindparam("key"))
    .returning(_table.c.value, _table.c.expires_at)
)
_DELETE = delete(_table).where(_table.c.key == bindparam("key"))


class DatabaseKeyValueStore:
    """Implements :class:`lti.KeyValueStore` on the ``lti_store_entry`` table.

    With ``deferred``, writes join the current transaction and are committed by
    :meth:`commit` (or by whatever commits next), so a login or a launch costs one commit.
    """

    def __init__(self, *, deferred: bool = False, connection: Any = None) -> None:
        self.deferred = deferred
        self._own = connection

    @classmethod
    @contextmanager
    def transaction(cls) -> Iterator[DatabaseKeyValueStore]:
        """A store on a connection of its own, outside the ORM session: what :meth:`commit`
        has not committed is committed when the block ends, or rolled back if it raises.

        For the requests a launch makes (the login, the launch), whose database work is the
        store's and the launch's record (:attr:`connection`): without the session's
        bookkeeping around a handful of statements.
        """
        with db.engine.begin() as connection:
            yield cls(deferred=True, connection=connection)

    @property
    def connection(self) -> Any:
        """The connection the store writes on (its own, or the session's)."""
        return self._connection()

    def _connection(self) -> Any:
        # The session's connection and transaction (or the store's own), without the ORM's
        # per-statement work.
        return self._own if self._own is not None else db.session.connection()

    def commit(self) -> None:
        if self._own is None:
            db.session.commit()
        else:
            self._own.commit()

    def _done(self) -> None:
        if not self.deferred:
            db.session.commit()

    def get(self, key: str) -> Any | None:
        row = self._connection().execute(_GET, {"key": key, "now": utcnow()}).first()
        return None if row is None else row.value

    def set(self, key: str, value: Any, ttl_seconds: int | None) -> None:
        if next(_writes) % SWEEP_EVERY == 0:
            self.sweep()
        expires = utcnow() + timedelta(seconds=ttl_seconds or DEFAULT_TTL)
        self._connection().execute(_UPSERT, {"key": key, "value": value, "expires_at": expires})
        self._done()

    def add(self, key: str, value: Any, ttl_seconds: int) -> bool:
        # One statement, atomic on both databases: of two workers adding the same key, one
        # inserts and the other finds the live entry and changes nothing.
        if next(_writes) % SWEEP_EVERY == 0:
            self.sweep()
        now = utcnow()
        result = self._connection().execute(
            _ADD,
            {
                "key": key,
                "value": value,
                "expires_at": now + timedelta(seconds=ttl_seconds),
                "now": now,
            },
        )
        self._done()
        return bool(result.rowcount == 1)

    def take(self, key: str) -> Any | None:
        # Only the caller whose delete removed the row gets the value: single use, even when
        # two workers race for the same nonce.
        row = self._connection().execute(_TAKE, {"key": key}).first()
        self._done()
        if row is None or row.expires_at <= utcnow():
            return None
        return row.value

    def delete(self, key: str) -> None:
        self._connection().execute(_DELETE, {"key": key})
        self._done()

    def sweep(self) -> int:
        """Delete expired entries; return how many."""
        result = self._connection().execute(delete(_table).where(_table.c.expires_at <= utcnow()))
        self._done()
        return int(result.rowcount)
