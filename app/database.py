"""Engine settings that make SQLite fit for several worker processes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from .extensions import db


def configure_engine() -> None:
    """Turn on WAL and a busy timeout for SQLite connections; nothing for PostgreSQL."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
