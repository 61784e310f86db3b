"""The lesson catalog of the running application, loaded once from ``lessons/``."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from .content import Catalog
from .content.quiz_loader import load_content

ROOT = Path(__file__).resolve().parent.parent


def load_from_disk(root: Path = ROOT) -> Catalog:
    """Read and check ``lessons/`` and ``quizzes/`` under ``root``."""
    return load_content(root)


def catalog() -> Catalog:
    """The application's catalog, loaded on first use."""
    loaded = current_app.extensions.get("qadam_catalog")
    if loaded is None:
        loaded = load_from_disk(Path(current_app.config["QADAM_CONTENT_ROOT"]))
        current_app.extensions["qadam_catalog"] = loaded
    return loaded
