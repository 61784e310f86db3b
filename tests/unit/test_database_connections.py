"""PostgreSQL connections: an idle one the server dropped is replaced before use; one in steady
use is not pinged, and a drop under load costs one failed statement before the pool renews."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app import database
from app.extensions import db


@pytest.fixture
def pg_app(request: pytest.FixtureRequest, make_app: Any) -> Any:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("connection pinging is for a server database")
    return make_app()


def _backend_pid() -> int:
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.commit()
    db.session.remove()  # back to the pool
    return int(pid)


def _drop(pid: int) -> None:
    """Terminate a server process from another connection, as a restart or a firewall would."""
    other_engine = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with other_engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other_engine.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_unseen(
    pg_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pg_app.app_context():
        pid = _backend_pid()
        _drop(pid)
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
        assert _backend_pid() != pid


def test_a_connection_in_steady_use_is_not_pinged(pg_app: Any) -> None:
    with pg_app.app_context():
        _backend_pid()
        pinged: list[Any] = []
        monkey = db.engine.dialect.do_ping
        db.engine.dialect.do_ping = lambda conn: pinged.append(conn) or monkey(conn)  # type: ignore[method-assign]
        try:
            for _ in range(5):
                assert db.session.execute(text("SELECT 1")).scalar_one() == 1
                db.session.remove()
        finally:
            db.engine.dialect.do_ping = monkey  # type: ignore[method-assign]
        assert pinged == []


def test_a_drop_under_load_fails_one_statement_then_the_pool_renews(pg_app: Any) -> None:
    with pg_app.app_context():
        pid = _backend_pid()
        _drop(pid)
        with pytest.raises(OperationalError):
            db.session.execute(text("SELECT 1"))
        db.session.remove()
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
        assert _backend_pid() != pid
