"""Class surveys in Chromium: a grade-6 student on a 360 px phone, a grade-1 survey with faces
and Listen, and a shared computer where the next child sees nothing of the previous one's
answers. axe-core finds no violation of any impact on the survey pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from app import create_app
from app.content_catalog import ROOT, catalog
from app.demo import register_demo_platform
from app.extensions import db
from app.models import SchoolClass, SurveyWindow
from app.models.base import utc_today
from app.services import surveys
from tests.browser.conftest import TIMEOUT_MS, at
from tests.conftest import app_config
from tests.support.servers import ThreadedServer, free_port

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
FRAME = "qadam-frame"

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def served(
    database_url_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str]]:
    """Qadam with the real content and the demo platform; yields the app and its base URL."""
    folder: Path = tmp_path_factory.mktemp("browser-survey")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        app_config(
            database_url_factory(),
            folder / "instance",
            QADAM_DEMO=True,
            QADAM_BASE_URL=base,
            QADAM_CONTENT_ROOT=str(ROOT),
        )
    )
    with app.app_context():
        db.create_all()
        register_demo_platform(app)
    with ThreadedServer(app, port):
        yield app, base
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def launch(page: Page, base: str, button: str) -> None:
    """Launch from the demo course, then open Qadam top level (as on a phone)."""
    page.goto(f"{base}/demo?lang=en")
    frame = page.frame(name=FRAME)
    assert frame is not None
    page.locator(button).click()
    frame.wait_for_url(at(base + "/**"), timeout=TIMEOUT_MS)
    page.goto(frame.url)


def open_window(app: Any, band: str, age_group: str, wave_code: str) -> int:
    """Give the demo class its band, set up a wave for its school and start it in the class."""
    with app.app_context():
        school_class = db.session.scalars(select(SchoolClass)).one()
        school_class.band = band
        db.session.commit()
        today = utc_today()
        wave = surveys.open_wave(
            school_class.school_id,
            wave_code,
            today,
            today + timedelta(days=7),
            "opt-out",
            surveys.default_instruments(catalog()),
            catalog(),
        )
        return surveys.open_window(wave, school_class, age_group, catalog(), today).id


def axe_clean(page: Page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["passes"], f"axe checked nothing on {name}"
    violations = results.response["violations"]
    print(f"axe {name}: {[(v['id'], v['impact']) for v in violations]}")
    assert not violations, results.generate_report()


@pytest.fixture
def phone(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context(viewport=PHONE, locale="en-US").new_page()


def test_a_grade_6_student_answers_on_a_phone(
    served: tuple[Any, str], phone: Page, new_context: Callable[..., BrowserContext]
) -> None:
    app, base = served
    # The teacher's launch creates the class; then the wave starts in it.
    launch(new_context().new_page(), base, "#launch-teacher")
    window_id = open_window(app, "basic", "grades-5-9", "2026-autumn")
    launch(phone, base, "#launch-student1")
    phone.get_by_role("link", name="Open the survey").click()
    phone.wait_for_url(at(f"{base}/surveys/{window_id}/"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "nothing sticks out sideways on a 360 px phone"
    )
    axe_clean(phone, "survey")
    fieldsets = phone.locator("fieldset.question")
    assert fieldsets.count() > 10
    fieldsets.nth(0).locator("label.option").nth(2).click()
    fieldsets.nth(1).locator("label.option").nth(0).click()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_url(at(f"{base}/surveys/{window_id}/help**"))
    expect(phone.locator("h1")).to_have_text("Thank you")
    for number in ("111", "150", "112"):
        expect(phone.locator("main")).to_contain_text(number)
    axe_clean(phone, "help screen")
    with app.app_context():
        assert surveys.participation(window_id).answered == 1


def test_the_next_child_at_a_shared_computer_sees_nothing(
    served: tuple[Any, str], new_context: Callable[..., BrowserContext]
) -> None:
    app, base = served
    with app.app_context():
        window_id = db.session.scalars(
            select(SurveyWindow.id).order_by(SurveyWindow.id.desc())
        ).first()
    context = new_context(locale="en-US")
    page = context.new_page()
    launch(page, base, "#launch-student2")
    page.goto(f"{base}/surveys/{window_id}/")
    first = page.locator("fieldset.question").nth(0).locator("input[type=radio]").nth(3)
    first.check()
    # The connection drops and the tab reloads: the answer is still there, in this tab only.
    page.reload()
    expect(
        page.locator("fieldset.question").nth(0).locator("input[type=radio]").nth(3)
    ).to_be_checked()
    stored = page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('qadam-survey'))")
    assert stored
    page.get_by_role("button", name="I won't take part").click()
    page.wait_for_url(at(f"{base}/surveys/{window_id}/help**"))
    left = page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('qadam-survey'))")
    assert left == [], "declining erases the answers in progress"
    # The next child at the same computer launches in the same browser.
    launch(page, base, "#launch-student1")
    page.goto(f"{base}/surveys/{window_id}/")
    expect(page.locator("h1")).to_have_text("Thank you"), "student 1 answered already"
    assert page.evaluate("sessionStorage.length") == 0


def test_a_grade_1_survey_has_faces_and_an_honest_listen_button(
    served: tuple[Any, str], new_context: Callable[..., BrowserContext]
) -> None:
    app, base = served
    window_id = open_window(app, "primary", "grades-1-2", "2026-spring")
    context = new_context(locale="en-US")
    # A device with an English voice: the Listen buttons show.
    context.add_init_script(
        "Object.defineProperty(window.speechSynthesis, 'getVoices', "
        "{value: () => [{lang: 'en-US', name: 'Test'}]});"
    )
    page = context.new_page()
    launch(page, base, "#launch-student1")
    page.goto(f"{base}/surveys/{window_id}/")
    faces = page.locator("fieldset.question img[src*='face-']")
    assert faces.count() >= 3
    expect(page.locator("button.listen").first).to_be_visible()
    axe_clean(page, "grade-1 survey")
    # Without a voice for the language, the button hides and a note says so.
    quiet = new_context(locale="en-US")
    quiet.add_init_script(
        "Object.defineProperty(window.speechSynthesis, 'getVoices', {value: () => []});"
    )
    other = quiet.new_page()
    launch(other, base, "#launch-student2")
    other.goto(f"{base}/surveys/{window_id}/")
    expect(other.locator("[data-no-voice]").first).to_be_visible(timeout=4000)
    expect(other.locator("button.listen").first).to_be_hidden()
