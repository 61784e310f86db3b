"""Shared by the browser tests: Debian's Chromium through Playwright, fresh contexts."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from app import create_app
from app.content_catalog import warm_up
from app.demo import register_demo_platform
from app.extensions import db
from tests.conftest import app_config
from tests.support.servers import ThreadedServer, free_port

CHROMIUM = os.environ.get("QADAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


def at(url: str) -> re.Pattern[str]:
    """A page address as the browser shows it: every link carries its launch (``launch=…``).

    ``*`` in ``url`` stands for one path segment, as in Playwright's globs.
    """
    pattern = ".*".join(re.escape(part) for part in url.split("**"))
    pattern = "[^/]*".join(pattern.split(re.escape("*")))
    return re.compile("^" + pattern + r"([?&]launch=[A-Za-z0-9_-]+)?$")


@contextmanager
def serve_demo(database_url: str, folder: Path, **config: Any) -> Iterator[str]:
    """Qadam with the demo platform on, served by werkzeug in a thread; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(
        app_config(
            database_url, folder / "instance", QADAM_DEMO=True, QADAM_BASE_URL=base_url, **config
        )
    )
    with app.app_context():
        db.create_all()
        register_demo_platform(app)
    # Parse the content now, as gunicorn's master does, not inside the first page's timeout.
    warm_up(app)
    with ThreadedServer(app, port):
        yield base_url
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (make test does)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Make fresh browser contexts (own cookies and cache); all are closed after the test.

    The browser asks for Russian unless told otherwise, so a switch to English shows.
    """
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(**{"locale": "ru-RU", **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
