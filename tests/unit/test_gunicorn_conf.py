"""The gunicorn settings: the master loads the app and its catalog, then freezes them."""

from __future__ import annotations

import gc
import logging
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.content_catalog import catalog
from tests.conftest import app_config

ROOT = Path(__file__).resolve().parents[2]


class _Master:
    """What ``when_ready`` uses of gunicorn's arbiter."""

    def __init__(self, wsgi: Any) -> None:
        self.app = type("Loaded", (), {"wsgi": staticmethod(lambda: wsgi)})()
        self.log = logging.getLogger("test.gunicorn")


@pytest.fixture
def settings() -> Iterator[dict[str, Any]]:
    yield runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()


def test_the_master_loads_the_catalog_then_keeps_it_from_the_collector(
    settings: dict[str, Any], tmp_path: Path
) -> None:
    app = create_app(app_config(f"sqlite:///{tmp_path / 'q.db'}", tmp_path / "instance"))
    gc.unfreeze()
    settings["when_ready"](_Master(app))
    assert gc.get_freeze_count() > 0
    with app.app_context():
        assert catalog().lessons  # loaded in the master, before any worker is forked
    assert settings["preload_app"] is True


def test_something_other_than_flask_is_left_as_it_is(settings: dict[str, Any]) -> None:
    gc.unfreeze()
    settings["when_ready"](_Master(object()))
    assert gc.get_freeze_count() == 0
