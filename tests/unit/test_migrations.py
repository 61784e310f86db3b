"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

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
