"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import MetaData, Table, text

from app import create_app
from app.extensions import db
from tests.conftest import app_config


def test_upgrade_from_empty_matches_models(database_url_factory: Any, tmp_path: Path) -> None:
    app = create_app(app_config(database_url_factory(), tmp_path / "instance"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_no_python_in_content_folders() -> None:
    root = Path(__file__).resolve().parents[2]
    assert not list((root / "lessons").rglob("*.py"))
    assert not list((root / "quizzes").rglob("*.py"))


def test_deliveries_from_before_sessions_get_the_session_the_plan_showed(
    database_url_factory: Any, tmp_path: Path
) -> None:
    app = create_app(app_config(database_url_factory(), tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="ba66a7c8e337")
        with db.engine.begin() as connection:
            _old_deliveries(connection)
        upgrade(revision="baae763019b1")
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT lesson_id, given_on, session FROM lesson_delivery ORDER BY id")
            ).all()
        db.engine.dispose()
    sessions = [(lesson_id, str(given_on)[:10], session) for lesson_id, given_on, session in rows]
    assert sessions == [
        ("water", "2025-10-06", 1),
        ("water", "2025-12-01", 2),
        ("fire", "2025-12-08", 1),
        ("water", "2026-03-02", 3),
        ("water", "2026-04-06", 3),  # a fourth time in one year: rounds ended at 3
        ("water", "2026-09-07", 1),  # a new school year starts again
    ]


def _old_deliveries(connection: Any) -> None:
    now = datetime(2025, 9, 1, tzinfo=UTC)
    tables = {
        name: Table(name, MetaData(), autoload_with=connection)
        for name in ("platform", "deployment", "school_class", "lesson_delivery")
    }
    connection.execute(
        tables["platform"].insert(),
        {
            "id": 1,
            "issuer": "https://moodle.example",
            "client_id": "c",
            "name": "",
            "auth_login_url": "https://moodle.example/login",
            "auth_token_url": "https://moodle.example/token",
            "product": "",
            "registered_by": "cli",
            "created_at": now,
        },
    )
    connection.execute(
        tables["deployment"].insert(),
        {"id": 1, "platform_id": 1, "deployment_id": "1", "created_at": now},
    )
    connection.execute(
        tables["school_class"].insert(),
        {
            "id": 1,
            "platform_id": 1,
            "deployment_id": 1,
            "context_id": "course",
            "title": "5A",
            "label": "",
            "created_at": now,
            "last_launch_at": now,
        },
    )
    given = [
        ("water", date(2025, 10, 6)),
        ("water", date(2025, 12, 1)),
        ("fire", date(2025, 12, 8)),
        ("water", date(2026, 3, 2)),
        ("water", date(2026, 4, 6)),
        ("water", date(2026, 9, 7)),
    ]
    connection.execute(
        tables["lesson_delivery"].insert(),
        [
            {
                "id": n,
                "school_class_id": 1,
                "lesson_id": lesson_id,
                "given_on": given_on,
                "created_at": now,
            }
            for n, (lesson_id, given_on) in enumerate(given, start=1)
        ],
    )
