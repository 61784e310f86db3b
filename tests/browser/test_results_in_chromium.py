"""Survey results in Chromium: the coordinator's school results page and the class pages it
links to, the teacher's class results page and the autumn-to-spring pages, with the real
grades 5–9 instrument and its charts; axe-core finds no violation of any impact, nothing sticks
out on a 360 px phone, and each page weighs at most 60 KB (printed), for a school of 40
classes too, in Kazakh, Russian and English."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import insert, select, update

from app import create_app
from app.content_catalog import ROOT, catalog
from app.demo import register_demo_platform
from app.extensions import db
from app.models import SchoolClass, SurveyResponse, SurveyWave
from app.models.base import utc_today
from app.models.survey import random_id
from app.services import surveys
from tests.browser.conftest import TIMEOUT_MS, at
from tests.browser.test_area_map_in_chromium import WEIGHT
from tests.browser.test_survey_in_chromium import FRAME, PHONE, axe_clean
from tests.conftest import app_config
from tests.support.servers import ThreadedServer, free_port

pytestmark = pytest.mark.browser
expect.set_options(timeout=TIMEOUT_MS)
MOST_BYTES = 60_000
GROUP = "grades-5-9"


@pytest.fixture(scope="module")
def served(
    database_url_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str]]:
    folder: Path = tmp_path_factory.mktemp("browser-results")
    yield from serve(database_url_factory(), folder)


def serve(database_url: str, folder: Path) -> Iterator[tuple[Any, str]]:
    """Qadam with the demo platform and the real content, served in a thread."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        app_config(
            database_url,
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


def launched(page: Page, base: str, button: str, lang: str = "en") -> str:
    """Launch from the demo course and open Qadam top level; return the launch key."""
    page.goto(f"{base}/demo?lang={lang}")
    frame = page.frame(name=FRAME)
    assert frame is not None
    page.locator(button).click()
    frame.wait_for_url(at(base + "/**"), timeout=TIMEOUT_MS)
    page.goto(frame.url)
    return parse_qs(urlparse(frame.url).query)["launch"][0]


def answers(rng: random.Random, survey: Any, count: int, bias: float) -> list[dict[str, int]]:
    rows = []
    for _ in range(count):
        given = {}
        for item in survey.items:
            values = survey.scale_of(item.id).values
            if rng.random() < 0.95:
                high = rng.random() < bias
                given[item.id] = values[-1] if high else values[0]
        rows.append(given)
    return rows


def two_waves(app: Any) -> tuple[int, int]:
    """The demo class and two more answer an autumn and a spring wave of one school year."""
    return school_waves(app, {"Grade 7B": 27, "Grade 7C": 9}, first=24)


def school_waves(app: Any, others: dict[str, int], first: int) -> tuple[int, int]:
    """The demo class (``first`` answer) and the ``others`` (title: how many answer) answer
    an autumn and a spring wave of one school year."""
    rng = random.Random(7)  # noqa: S311
    with app.app_context():
        demo = db.session.scalars(select(SchoolClass)).one()
        demo.band = "basic"
        classes = [demo]
        for title in others:
            other = SchoolClass(
                platform_id=demo.platform_id,
                deployment_id=demo.deployment_id,
                school_id=demo.school_id,
                context_id=random_id(),
                title=title,
                label=title,
                band="basic",
            )
            db.session.add(other)
            classes.append(other)
        db.session.commit()
        sizes = [first, *others.values()]
        today = utc_today()
        waves = []
        for code, day, bias in (
            ("2025-autumn", date(2025, 9, 15), 0.35),
            ("2026-spring", date(2026, 2, 10), 0.25),
        ):
            wave = surveys.open_wave(
                demo.school_id,
                code,
                today,
                today + timedelta(days=7),
                "opt-out",
                surveys.default_instruments(catalog()),
                catalog(),
            )
            for school_class, size in zip(classes, sizes, strict=True):
                window = surveys.open_window(wave, school_class, GROUP, catalog(), today)
                survey = catalog().survey(window.survey_id)
                db.session.execute(
                    insert(SurveyResponse.__table__),
                    [
                        {"id": random_id(), "window_id": window.id, "answers": given}
                        for given in answers(rng, survey, size, bias)
                    ],
                )
            db.session.execute(
                update(SurveyWave)
                .where(SurveyWave.id == wave.id)
                .values(opens_on=day, closes_on=day + timedelta(days=10))
            )
            db.session.commit()
            surveys.close_wave(db.session.get(SurveyWave, wave.id), today, catalog())
            waves.append(wave.id)
        return waves[0], waves[1]


def weighed(page: Page, name: str) -> int:
    """Every byte of the page and what it loads, once, as a first visit without compression."""
    entries = page.evaluate(WEIGHT)
    first_visit = sum({url: size for url, _, size in entries}.values())
    print(f"{name}, first visit: {first_visit:,} B ({entries})")
    return int(first_visit)


TABLE_BELOW = {"en": "table below", "ru": "в таблице ниже", "kk": "төмендегі кестеде"}


def check_page(page: Page, name: str, charts: int, lang: str = "en") -> None:
    expect(page.locator("svg.result-chart[role=img]")).to_have_count(charts)
    for label in page.locator("svg.result-chart").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    ):
        assert TABLE_BELOW[lang] in label
    axe_clean(page, name)
    assert weighed(page, name) <= MOST_BYTES
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        f"nothing sticks out sideways on a 360 px phone: {name}"
    )
    axe_clean(page, f"{name} on a phone")


def test_the_results_and_trend_pages_pass_axe_and_weigh_little(
    served: tuple[Any, str], new_context: Callable[..., BrowserContext]
) -> None:
    app, base = served
    teacher = new_context(locale="en-US").new_page()
    teacher_launch = launched(teacher, base, "#launch-teacher")
    autumn, spring = two_waves(app)

    coordinator = new_context(locale="en-US").new_page()
    key = launched(coordinator, base, "#launch-coordinator")
    coordinator.goto(f"{base}/surveys/waves/{spring}/results?launch={key}")
    expect(coordinator.locator("h1")).to_have_text("Survey results")
    # The school has its chart; the classes are a table of links, 7C (9 answered) under the gate.
    expect(coordinator.locator("main")).to_contain_text("too few answers")
    check_page(coordinator, "school results", 1)
    coordinator.set_viewport_size({"width": 1280, "height": 900})
    coordinator.get_by_role("link", name="Grade 7B").click()
    coordinator.wait_for_url(at(f"{base}/surveys/waves/{spring}/results/classes/*"))
    expect(coordinator.locator("main h2")).to_have_text("Grade 7B")
    check_page(coordinator, "a class of the school's results", 1)

    coordinator.set_viewport_size({"width": 1280, "height": 900})
    coordinator.goto(f"{base}/surveys/waves/{spring}/results?launch={key}")
    coordinator.get_by_role("link", name="From autumn to spring").first.click()
    coordinator.wait_for_url(at(f"{base}/surveys/trends/{autumn}/{spring}"))
    expect(coordinator.locator("h1")).to_have_text("From autumn to spring")
    check_page(coordinator, "school trend", 1)
    coordinator.set_viewport_size({"width": 1280, "height": 900})
    coordinator.get_by_role("link", name="Grade 7B").click()
    coordinator.wait_for_url(at(f"{base}/surveys/trends/{autumn}/{spring}/classes/*"))
    check_page(coordinator, "a class of the school's trend", 1)

    teacher.goto(f"{base}/surveys/class/results/{spring}?launch={teacher_launch}")
    expect(teacher.locator("h1")).to_have_text("Survey results")
    check_page(teacher, "class results", 1)
    teacher.set_viewport_size({"width": 1280, "height": 900})
    teacher.goto(f"{base}/surveys/class/trends/{autumn}/{spring}?launch={teacher_launch}")
    check_page(teacher, "class trend", 1)


# -- a school of 40 classes -----------------------------------------------------------------

LETTERS = "АӘБВГҒДЕ"


@pytest.fixture(scope="module")
def big_school(
    database_url_factory: Any, tmp_path_factory: pytest.TempPathFactory, browser: Browser
) -> Iterator[tuple[str, int, int]]:
    """A server of its own whose demo school has 40 classes, 6 to 32 answering in each of an
    autumn and a spring wave: the base URL and the two waves."""
    folder: Path = tmp_path_factory.mktemp("browser-big-school")
    for app, base in serve(database_url_factory(), folder):
        context = browser.new_context()
        launched(context.new_page(), base, "#launch-teacher")  # the demo class exists
        context.close()
        rng = random.Random(40)  # noqa: S311
        others = {f"{5 + i // 8}{LETTERS[i % 8]}": rng.randint(6, 32) for i in range(1, 40)}
        autumn, spring = school_waves(app, others, first=25)
        yield base, autumn, spring


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_school_of_40_classes_weighs_little_in_every_language(
    big_school: tuple[str, int, int], new_context: Callable[..., BrowserContext], lang: str
) -> None:
    base, autumn, spring = big_school
    coordinator = new_context(locale="en-US").new_page()
    key = launched(coordinator, base, "#launch-coordinator", lang)

    coordinator.goto(f"{base}/surveys/waves/{spring}/results?launch={key}")
    expect(coordinator.locator("html")).to_have_attribute("lang", lang)
    classes = coordinator.locator("main table").nth(1)  # after the school's own table
    expect(classes.locator("tbody tr")).to_have_count(40)
    check_page(coordinator, f"school results, 40 classes, {lang}", 1, lang)
    coordinator.set_viewport_size({"width": 1280, "height": 900})
    classes.locator("tbody tr:not(:has(.suppressed)) a").last.click()  # over the gate
    coordinator.wait_for_url(at(f"{base}/surveys/waves/{spring}/results/classes/*"))
    check_page(coordinator, f"a class of 40, {lang}", 1, lang)

    coordinator.set_viewport_size({"width": 1280, "height": 900})
    coordinator.goto(f"{base}/surveys/trends/{autumn}/{spring}?launch={key}")
    expect(classes.locator("tbody tr")).to_have_count(40)
    check_page(coordinator, f"school trend, 40 classes, {lang}", 1, lang)
    coordinator.set_viewport_size({"width": 1280, "height": 900})
    classes.locator("tbody tr:not(:has(.suppressed)) a").last.click()  # over the gate
    coordinator.wait_for_url(at(f"{base}/surveys/trends/{autumn}/{spring}/classes/*"))
    check_page(coordinator, f"a class trend of 40, {lang}", 1, lang)
