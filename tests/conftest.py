"""Fixtures: the app on SQLite or a real PostgreSQL server, a Moodle-like platform, no network."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from tests.support.platform_simulator import PlatformSimulator

TOOL_BASE = "http://qadam.test"
# A small, stable curriculum for the app's tests; tests/content checks the real lessons/.
CONTENT_ROOT = Path(__file__).resolve().parent / "fixtures" / "content"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database for the suite: SQLite files, or a PostgreSQL server the run starts",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"qadam database: {config.getoption('--db')}"


# -- no network but loopback --------------------------------------------------------------


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets
    host = address[0]
    if host in ("localhost", "qadam.test"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _outbound_to_loopback() -> Iterator[None]:
    """Let the tool fetch from the loopback platforms, also in tests that build no app."""
    from lti import http

    before = http.policy()
    http.configure(allow_loopback=True)
    yield
    http.configure(allow_loopback=before.allow_loopback)


# -- databases ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    from tests.support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """Make a new, empty database of the kind the run uses; return its URL."""
    kind = request.config.getoption("--db")
    if kind == "postgresql":
        server = request.getfixturevalue("postgres_server")
        return lambda: server.create_database("qadam_" + uuid.uuid4().hex[:10])
    root = tmp_path_factory.mktemp("db")
    return lambda: "sqlite:///" + str(root / f"{uuid.uuid4().hex[:10]}.sqlite3")


@pytest.fixture(scope="session")
def shared_database_url(database_url_factory: Any) -> str:
    return database_url_factory()


@pytest.fixture(scope="session")
def _schema(shared_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": shared_database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("schema-instance")),
        }
    )
    with app.app_context():
        db.create_all()


def app_config(database_url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret",
        "QADAM_BASE_URL": TOOL_BASE,
        "QADAM_DEMO": False,
        "SERVER_NAME": None,
        "QADAM_CONTENT_ROOT": str(CONTENT_ROOT),
        # Tests deliver the outbox themselves, when they choose to.
        "QADAM_OUTBOX_WORKER": False,
        # The simulated platforms live on 127.0.0.1.
        "QADAM_OUTBOUND_ALLOW_LOOPBACK": True,
        **extra,
    }


class EnglishBrowser(FlaskClient):
    """A test browser that prefers English, so tests read the messages (launches set their own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def make_app(shared_database_url: str, _schema: None, tmp_path: Path) -> Iterator[Any]:
    """Build apps on the shared test database; tables are emptied after the test."""
    built: list[Any] = []

    def factory(**extra: Any) -> Any:
        app = create_app(app_config(shared_database_url, tmp_path / "instance", **extra))
        app.test_client_class = EnglishBrowser
        built.append(app)
        return app

    yield factory
    if built:
        with built[0].app_context():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    for app in built[1:]:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Any:
    # No app context is held across requests: Flask would reuse it, and ``g`` with it.
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def platform(app: Any, httpserver: Any) -> PlatformSimulator:
    """A registered Moodle-like platform."""
    simulator = PlatformSimulator(httpserver, tool_base=TOOL_BASE)
    with app.app_context():
        simulator.register()
    return simulator
