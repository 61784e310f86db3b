"""Requests to talk name children; survey data must never be joinable with them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from app.extensions import db

# Tables that identify a person, which no survey table may reference.
IDENTIFYING = {"talk_request", "person"}


def _is_survey(name: str) -> bool:
    return name.startswith("survey")


def test_the_models_have_no_key_between_talk_requests_and_surveys() -> None:
    import app.models  # noqa: F401 - every model registers its table

    tables = db.metadata.tables
    talk = tables["talk_request"]
    for fk in talk.foreign_keys:
        assert not _is_survey(fk.column.table.name), fk
    assert {c.name for c in talk.columns} == {
        "id",
        "school_class_id",
        "person_id",
        "typed_name",
        "whom",
        "category",
        "urgency",
        "status",
        "note",
        "created_on",
        "closed_on",
    }, "a new column on talk_request must be checked against the survey rules"
    for name, table in tables.items():
        if not _is_survey(name):
            continue
        for fk in table.foreign_keys:
            assert fk.column.table.name not in IDENTIFYING, f"{name}: {fk}"
        for column in table.columns:
            assert "talk" not in column.name, f"{name}.{column.name}"
            assert "person" not in column.name, f"{name}.{column.name}"


def test_the_database_has_no_key_between_talk_requests_and_surveys(app: Any) -> None:
    with app.app_context():
        inspector = inspect(db.engine)
        names = inspector.get_table_names()
        assert "talk_request" in names
        for fk in inspector.get_foreign_keys("talk_request"):
            assert not _is_survey(fk["referred_table"]), fk
        for name in filter(_is_survey, names):
            for fk in inspector.get_foreign_keys(name):
                assert fk["referred_table"] not in IDENTIFYING, f"{name}: {fk}"
