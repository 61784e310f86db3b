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


def test_results_frozen_before_get_their_participation(
    database_url_factory: Any, tmp_path: Path
) -> None:
    """Result sets frozen before the participation totals existed get them from their class
    rows and windows: each class up to its roster size, classes with no roster size left out."""
    app = create_app(app_config(database_url_factory(), tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="8eded24d65f3")
        with db.engine.begin() as connection:
            _frozen_wave(connection, rosters={1: 20, 2: 10, 3: None, 4: 0})
        upgrade()
        with db.engine.connect() as connection:
            totals = connection.execute(
                text("SELECT roster_respondents, roster_size FROM survey_result_set")
            ).one()
            covering = ""
            if connection.dialect.name == "postgresql":
                covering = connection.execute(
                    text(
                        "SELECT indexdef FROM pg_indexes WHERE indexname ="
                        " 'uq_survey_result_wave_id_level_indicator_unit_id'"
                    )
                ).scalar_one()
        db.engine.dispose()
    # class 1: 18 of 20; class 2: 12 answered, counted as 10 of 10; 3 and 4: no roster size
    assert tuple(totals) == (28, 30)
    if covering:
        assert "INCLUDE (respondents, numerator, denominator, status)" in covering


def _frozen_wave(connection: Any, rosters: dict[int, int | None]) -> None:
    """A school's closed wave with a window per class (``rosters``: class id -> roster size)
    and results frozen as the revision before participation totals wrote them."""
    now = datetime(2025, 10, 1, tzinfo=UTC)
    names = [
        "platform",
        "deployment",
        "school",
        "school_class",
        "survey_wave",
        "survey_window",
        "survey_result_set",
        "survey_result",
    ]
    tables = {name: Table(name, MetaData(), autoload_with=connection) for name in names}
    answered = {1: 18, 2: 12, 3: 25, 4: 7}

    def add(name: str, *rows: dict[str, Any]) -> None:
        connection.execute(tables[name].insert(), [_filled(tables[name], row, now) for row in rows])

    add("platform", {"id": 1, "issuer": "https://moodle.example", "client_id": "c"})
    add("deployment", {"id": 1, "platform_id": 1, "deployment_id": "1"})
    add("school", {"id": 1, "platform_id": 1, "key": "school-1"})
    add(
        "school_class",
        *(
            {"id": c, "platform_id": 1, "deployment_id": 1, "school_id": 1, "context_id": f"c{c}"}
            for c in rosters
        ),
    )
    add(
        "survey_wave",
        {
            "id": 1,
            "school_id": 1,
            "code": "2025-autumn",
            "opens_on": date(2025, 9, 15),
            "closes_on": date(2025, 10, 20),
            "consent": "opt-out",
            "instruments": {},
            "status": "closed",
        },
    )
    add(
        "survey_window",
        *(
            {"id": c, "wave_id": 1, "school_class_id": c, "roster_size": size, "status": "closed"}
            for c, size in rosters.items()
        ),
    )
    add("survey_result_set", {"wave_id": 1, "method": "sdc-v1", "computed_on": date(2025, 10, 21)})
    add(
        "survey_result",
        *(
            {
                "wave_id": 1,
                "level": "class",
                "unit_id": c,
                "parent_id": 1,
                "position": position,
                "indicator": f"code-{position}",
                "respondents": answered[c],
                "numerator": 0,
                "denominator": answered[c],
                "status": "ok",
            }
            for c in rosters
            for position in range(2)  # the backfill reads one row per class
        ),
    )


def _filled(table: Table, row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``row`` with a plain value for every other required column of ``table``."""
    filled = dict(row)
    for column in table.columns:
        if column.name in filled or column.nullable or column.server_default is not None:
            continue
        if column.primary_key:
            continue  # numbered by the database
        python_type = _python_type(column)
        filled[column.name] = {
            int: 0,
            str: "x",
            bool: False,
            date: now.date(),
            datetime: now,
            dict: {},
        }.get(python_type, "x")
    return filled


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return dict  # JSON
