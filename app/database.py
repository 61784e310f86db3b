"""Engine settings: SQLite fit for several worker processes; PostgreSQL connections checked
before use only when they have been idle."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc

from .extensions import db

# A pooled connection idle longer than this is pinged before use: a server restart, a proxy or
# a firewall drops idle connections. One in steady use is not: pinging every checkout costs a
# round trip per request, and if the server restarts under load, the first statement on each
# broken connection fails (a 503 asking to try again) and the pool replaces them all.
PING_AFTER_IDLE_SECONDS = 10.0
_LAST_USED = "qadam_last_used"


def configure_engine() -> None:
    """WAL and a busy timeout for SQLite; the idle ping for a server database."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_when_idle(engine)


def _configure_sqlite(engine: Any) -> None:
    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _ping_when_idle(engine: Any) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _note_last_use(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED)
        if last_used is None or time.monotonic() - last_used < PING_AFTER_IDLE_SECONDS:
            return  # new, or in steady use
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure means "do not use it"
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the database connection did not answer a ping")
