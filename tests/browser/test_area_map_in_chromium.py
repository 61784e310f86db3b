"""The area map in Chromium: an area coordinator opens the map of a survey indicator by region
and by district of their region (figures from generated schools), chooses another indicator;
axe-core finds no violation on any page; the page weight is printed."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from app import create_app
from app.content_catalog import catalog
from app.demo import register_demo_platform
from app.extensions import db
from app.models import Platform, School
from app.services import area_results, areas, coordinators
from lti.demo_platform.users import DEMO_COORDINATOR_SUB
from tests.browser.conftest import TIMEOUT_MS, at
from tests.browser.test_survey_in_chromium import FRAME, axe_clean
from tests.conftest import app_config
from tests.support.area_data import FINAL, PERIOD, generate
from tests.support.servers import ThreadedServer, free_port

pytestmark = pytest.mark.browser
expect.set_options(timeout=TIMEOUT_MS)

WEIGHT = """() => {
  const entries = [...performance.getEntriesByType('navigation'),
                   ...performance.getEntriesByType('resource')];
  return entries.map(e => [e.name, e.transferSize, e.decodedBodySize]);
}"""


@pytest.fixture(scope="module")
def served(
    database_url_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str]]:
    folder: Path = tmp_path_factory.mktemp("browser-areas")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        app_config(
            database_url_factory(), folder / "instance", QADAM_DEMO=True, QADAM_BASE_URL=base
        )
    )
    with app.app_context():
        db.create_all()
        platform = register_demo_platform(app)
        areas.import_lists()
        school = db.session.scalars(select(School)).one()
        areas.map_school(school.id, "111030100")  # Kokshetau, Akmola
        # The demo's coordinator works for the Akmola region instead of one school.
        coordinators.grant_for(
            db.session.scalars(select(Platform.id)).one(),
            None,
            DEMO_COORDINATOR_SUB,
            safeguarding=False,
            granted_by="test",
            area_code="110000000",
        )
        assert platform.id
    # Schools of the Akmola region and of Almaty city, with a closed wave each, aggregated.
    spec = {"111000000": 4, "111600000": 1, "111800000": 3, "113600000": 3, "751110000": 3}
    generate(app, random.Random(11), spec)  # noqa: S311 (test data)
    with app.app_context():
        area_results.aggregate(PERIOD, catalog(), today=FINAL)
    with ThreadedServer(app, port):
        yield app, base
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_map_renders_both_levels_and_axe_finds_nothing(
    served: tuple[Any, str], new_context: Callable[..., BrowserContext]
) -> None:
    _app, base = served
    page = new_context(locale="en-US").new_page()
    page.goto(f"{base}/demo?lang=en")
    frame = page.frame(name=FRAME)
    assert frame is not None
    page.locator("#launch-coordinator").click()
    frame.wait_for_url(at(base + "/coordinator/area"), timeout=TIMEOUT_MS)
    page.goto(frame.url)
    expect(page.locator("main")).to_contain_text("School")
    axe_clean(page, "area page")

    page.get_by_role("link", name="Area map").click()
    page.wait_for_url(at(base + "/coordinator/area/map"))
    expect(page.locator("svg.area-map path")).to_have_count(20)
    expect(page.locator("svg.area-map")).to_have_attribute("role", "img")
    expect(page.locator("h1")).to_contain_text("2025-26-S1, by region")
    expect(page.locator("table")).to_contain_text("Akmola")
    expect(page.locator("svg.area-map path[data-kato='110000000']")).not_to_have_attribute(
        "fill", "#d9d9d9"
    )
    axe_clean(page, "region map")
    entries = page.evaluate(WEIGHT)
    # Nothing is compressed and the style sheet may come from the cache: count every byte of
    # the page and what it loads, once, as a first visit without compression would.
    first_visit = sum({name: size for name, _, size in entries}.values())
    print(f"region map page, first visit: {first_visit:,} B ({entries})")
    assert first_visit <= 60_000

    page.get_by_role("link", name="Akmola").click()
    page.wait_for_url(at(base + "/coordinator/area/map?region=110000000*"))
    expect(page.locator("h1")).to_contain_text("by district of Akmola")
    assert page.locator("svg.area-map path").count() > 10
    # Kosshy has one school: hatched, and the table says why.
    expect(page.locator("svg.area-map path[data-kato='111600000']")).to_have_attribute(
        "fill", "url(#map-hatch)"
    )
    expect(page.get_by_role("row", name="Kosshy")).to_contain_text("hidden")
    axe_clean(page, "district map")

    page.get_by_label("Indicator").select_option("participation-v1")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(at(base + "/coordinator/area/map?*indicator=participation-v1*"))
    expect(page.locator("h1")).to_contain_text("Participation")
    expect(page.locator("h1")).to_contain_text("Akmola")
    axe_clean(page, "district map of another indicator")
