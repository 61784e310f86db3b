"""Qadam in a real headless Chromium: the demo platform launches it in its frame, as Moodle does.

One server (werkzeug in a thread, demo platform on) and one browser per module; each test gets
a fresh browser context, so cookies never leak between tests. Assertions rely on element ids,
URLs and ``<html lang>``; English text only where the launch language is English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from tests.browser.conftest import TIMEOUT_MS, at, serve_demo

pytestmark = pytest.mark.browser

FRAME = "qadam-frame"
MAX_PAGE_BYTES = 60_000
PHONE = {"width": 360, "height": 740}
# The first Tab reaches the skip link; the English button must follow within this many more.
MAX_TABS_TO_ENGLISH = 5
BLOCKING_IMPACTS = ("critical", "serious")
ADD_TO_MOODLE = "main form[method=post] button[type=submit]"
LESSON = "/lessons/basic-emergency-help"

expect.set_options(timeout=TIMEOUT_MS)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(database_url_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Qadam with the demo platform on, served on a loopback port; yields its base URL."""
    with serve_demo(database_url_factory(), tmp_path_factory.mktemp("browser")) as base_url:
        yield base_url


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


# -- helpers ------------------------------------------------------------------------------


def qadam_frame(page: Page) -> Frame:
    frame = page.frame(name=FRAME)
    assert frame is not None, f"the demo page has no frame named {FRAME!r}"
    return frame


def launch(page: Page, base: str, button: str, lang: str, lands_on: str) -> Frame:
    """Open the demo course in ``lang``, click a launch button, wait for Qadam in the frame."""
    page.goto(f"{base}/demo?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    frame = qadam_frame(page)
    page.locator(button).click()
    frame.wait_for_url(at(base + lands_on), timeout=TIMEOUT_MS)
    return frame


def html_lang(target: Page | Frame) -> str:
    return str(target.evaluate("document.documentElement.lang"))


def focused_matches(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        )
    )


def describe_focus(page: Page) -> str:
    return str(
        page.evaluate(
            """() => {
                const e = document.activeElement;
                if (!e) return "(nothing)";
                const v = e.getAttribute("value");
                return e.tagName.toLowerCase() + (e.className ? "." + e.className : "")
                    + (v ? "[value=" + v + "]" : "");
            }"""
        )
    )


# -- 1. launches from the demo course -----------------------------------------------------


def test_teacher_launch_opens_the_class_page_in_english(page: Page, base: str) -> None:
    frame = launch(page, base, "#launch-teacher", "en", "/teacher")
    course_title = page.locator("h1").inner_text()
    assert "Grade 7A" in course_title
    # The class title is the course title the platform sent in the signed launch.
    expect(frame.locator("main h1")).to_have_text(course_title)
    assert html_lang(frame) == "en"
    assert at(base + "/teacher").match(frame.url)


def test_student_launch_in_kazakh_shows_the_help_footer(page: Page, base: str) -> None:
    frame = launch(page, base, "#launch-student1", "kk", "/student")
    expect(frame.locator("main h1")).to_be_visible()
    assert html_lang(frame) == "kk"
    expect(frame.locator("footer.help")).to_be_visible()
    expect(frame.locator("footer.help li")).to_have_count(3)


def test_coordinator_launch_lists_the_class(page: Page, base: str) -> None:
    frame = launch(page, base, "#launch-coordinator", "en", "/coordinator")
    assert html_lang(frame) == "en"
    rows = frame.locator("main table tbody th[scope=row]")
    expect(rows.filter(has_text="Grade 7A")).to_have_count(1)


# -- 2. deep linking ----------------------------------------------------------------------


def test_deep_linking_returns_a_signed_activity_to_the_platform(page: Page, base: str) -> None:
    frame = launch(page, base, "#launch-deep", "en", "/add-to-course")
    # The teacher picks, with the keyboard, the start page and the first lesson of the list.
    start_page = frame.locator("main input[name=home]")
    first_lesson = frame.locator("main label.pick:has(input[name=lesson])").first
    lesson_title = first_lesson.locator("strong").first.inner_text().strip()
    assert lesson_title
    start_page.focus()
    frame.page.keyboard.press("Space")
    first_lesson.locator("input[name=lesson]").focus()
    frame.page.keyboard.press("Space")
    expect(start_page).to_be_checked()
    expect(first_lesson.locator("input")).to_be_checked()
    frame.locator(ADD_TO_MOODLE).focus()
    frame.page.keyboard.press("Enter")
    # Qadam posts its signed JWT back; the demo checks it against Qadam's JWKS before showing it.
    frame.wait_for_url(base + "/demo/deep-link-return?lang=en", timeout=TIMEOUT_MS)
    # The frame has loaded (wait_for_url waits for "load"): the answer is there or it is not.
    done = frame.locator("#deep-link-done")
    assert done.count() == 1, f"the demo answered: {frame.locator('h1').first.inner_text()!r}"
    expect(done).to_be_visible()
    expect(done.locator("li strong")).to_have_text(["Qadam", lesson_title])
    expect(done).to_contain_text(base + "/lti/launch")


# -- 3. keyboard --------------------------------------------------------------------------


def test_skip_link_comes_first_and_shows_when_focused(page: Page, base: str) -> None:
    page.goto(base + "/")
    skip = page.locator("a.skip")
    expect(skip).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    assert focused_matches(page, "a.skip"), f"first Tab focused {describe_focus(page)}"
    expect(skip).to_be_visible()
    expect(skip).to_be_in_viewport(ratio=1)
    assert skip.get_attribute("href") == "#main"


def test_language_can_be_chosen_with_the_keyboard(page: Page, base: str) -> None:
    page.goto(base + "/")
    assert html_lang(page) == "ru", "the browser asks for Russian, so the page starts in Russian"
    page.keyboard.press("Tab")
    assert focused_matches(page, "a.skip"), f"first Tab focused {describe_focus(page)}"
    english = "button[name=lang][value=en]"
    visited = []
    for _press in range(MAX_TABS_TO_ENGLISH):
        page.keyboard.press("Tab")
        visited.append(describe_focus(page))
        if focused_matches(page, english):
            break
    else:
        pytest.fail(f"English button not reached after the skip link; Tab visited {visited}")
    with page.expect_navigation(timeout=TIMEOUT_MS):
        page.keyboard.press("Enter")
    assert page.url.rstrip("?") == base + "/"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(english)).to_have_attribute("aria-current", "true")


# -- 4. accessibility (axe-core) ----------------------------------------------------------


def _open_front(page: Page, base: str) -> None:
    page.goto(base + "/")


def _open_demo(page: Page, base: str) -> None:
    page.goto(base + "/demo?lang=en")


def _open_after_launch(
    button: str, lang: str, path: str, lands_on: str | None = None
) -> Callable[[Page, str], None]:
    def open_page(page: Page, base: str) -> None:
        launch(page, base, button, lang, lands_on or path)
        page.goto(base + path)  # top level, same origin: the session cookie goes along
        assert at(base + path).match(page.url.split("#")[0])

    return open_page


def _open_add_to_course_with_error(page: Page, base: str) -> None:
    _open_after_launch("#launch-deep", "en", "/add-to-course")(page, base)
    with page.expect_navigation():
        page.locator(ADD_TO_MOODLE).press("Enter")  # nothing chosen
    expect(page.locator("main .field-error")).to_be_visible()


def _open_error(page: Page, base: str) -> None:
    response = page.goto(base + "/teacher")
    assert response is not None
    assert response.status == 401


AXE_PAGES = {
    "front": _open_front,
    "demo": _open_demo,
    "teacher": _open_after_launch("#launch-teacher", "en", "/teacher"),
    "student-kk": _open_after_launch("#launch-student1", "kk", "/student"),
    "coordinator": _open_after_launch("#launch-coordinator", "en", "/coordinator"),
    "add-to-course": _open_after_launch("#launch-deep", "en", "/add-to-course"),
    "add-to-course-invalid": _open_add_to_course_with_error,
    "error-401": _open_error,
    "lesson-catalog": _open_after_launch("#launch-teacher", "en", "/lessons", "/teacher"),
    "lesson-teacher": _open_after_launch("#launch-teacher", "kk", LESSON + "/", "/teacher"),
    "lesson-presenter": _open_after_launch(
        "#launch-teacher", "ru", LESSON + "/present", "/teacher"
    ),
    "lesson-student": _open_after_launch("#launch-student1", "kk", LESSON + "/student", "/student"),
}


@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_no_serious_accessibility_violations(page: Page, base: str, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    AXE_PAGES[name](page, base)
    results = Axe().run(page)
    assert results.response["url"] == page.url
    assert results.response["passes"], "axe checked nothing: is the page empty?"
    violations = results.response["violations"]
    by_impact = {
        impact: [v["id"] for v in violations if v["impact"] == impact]
        for impact in ("critical", "serious", "moderate", "minor")
    }
    summary = ", ".join(f"{k} {len(v)}{' ' + str(v) if v else ''}" for k, v in by_impact.items())
    incomplete = len(results.response["incomplete"])
    print(
        f"axe {name} ({page.url}): {len(violations)} violations: {summary}; to review {incomplete}"
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, results.generate_report()


# -- 5. page weight and origin ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/teacher", LESSON + "/", LESSON + "/present"])
def test_pages_are_light_and_load_nothing_from_elsewhere(
    new_context: Callable[..., BrowserContext], base: str, path: str
) -> None:
    # Sign in through the demo in one context, then load the page in a new one with the same
    # cookies and an empty cache: the weight of a first visit.
    launching = new_context()
    launch(launching.new_page(), base, "#launch-teacher", "en", "/teacher")
    context = new_context(storage_state=launching.storage_state())
    page = context.new_page()
    requested: list[str] = []
    responses: list[Any] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: responses.append(response))
    document = page.goto(base + path, wait_until="load")
    assert document is not None
    assert document.status == 200
    page.wait_for_load_state("networkidle")

    sizes = []
    for response in responses:
        try:
            size = len(response.body())
        except Exception:  # a body the browser did not keep (redirects): its declared length
            size = int(response.headers.get("content-length", "0"))
        sizes.append((size, response.status, response.url))
    total = sum(size for size, _status, _url in sizes)
    print(f"page weight of {path}: {total} bytes in {len(sizes)} responses")
    for size, status, url in sizes:
        print(f"  {size:>7} {status} {url}")

    urls = [url for _size, _status, url in sizes]
    assert base + path in urls
    assert any(urlsplit(url).path.endswith(".css") for url in urls), (
        "the stylesheet was not counted"
    )
    assert total <= MAX_PAGE_BYTES
    foreign = [url for url in requested if not url.startswith(base + "/")]
    assert not foreign, f"requests to other origins: {foreign}"


# -- 6. phone width -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/student", LESSON + "/student"])
def test_student_pages_fit_a_phone(
    new_context: Callable[..., BrowserContext], base: str, path: str
) -> None:
    page = new_context(viewport=PHONE).new_page()
    launch(page, base, "#launch-student1", "kk", "/student")
    page.goto(base + path)
    expect(page.locator("main h1")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page scrolls sideways: {width}px wide"
    expect(page.locator("footer.help")).to_be_attached()
    expect(page.locator("footer.help")).to_be_visible()


# -- 7. lessons ---------------------------------------------------------------------------


def test_teacher_opens_a_lesson_and_presents_it_with_the_keyboard(page: Page, base: str) -> None:
    launch(page, base, "#launch-teacher", "en", "/teacher")
    page.goto(base + "/lessons")
    page.locator(f"main a[href^='{LESSON}/']").first.click()
    page.wait_for_url(at(f"{base}{LESSON}/**"))
    expect(page.locator("main h1")).to_have_text("Who helps when something is wrong")
    expect(page.locator("ol.steps > li")).to_have_count(4)
    page.locator(f"a[href^='{LESSON}/present']").click()
    page.wait_for_url(at(f"{base}{LESSON}/present**"))
    slides = page.locator("section.slide")
    total = slides.count()
    assert total == 7  # title, four steps, questions, help

    def visible_slide() -> int:
        shown = [i for i in range(total) if slides.nth(i).is_visible()]
        assert len(shown) == 1, f"one slide at a time, not {shown}"
        return shown[0]

    assert visible_slide() == 0
    page.keyboard.press("ArrowRight")
    expect(slides.nth(1)).to_be_visible()
    assert visible_slide() == 1
    expect(page.locator("[data-counter]")).to_contain_text("2")
    page.keyboard.press("Space")
    expect(slides.nth(2)).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(slides.nth(1)).to_be_visible()
    page.keyboard.press("End")
    expect(slides.nth(total - 1)).to_be_visible()
    expect(page.locator("[data-next]")).to_be_disabled()
    page.keyboard.press("Home")
    expect(slides.nth(0)).to_be_visible()
    # The slides live in the page: going offline changes nothing.
    page.context.set_offline(True)
    page.keyboard.press("PageDown")
    expect(slides.nth(1)).to_be_visible()
    page.context.set_offline(False)


def test_presenter_without_javascript_shows_every_step(
    new_context: Callable[..., BrowserContext], base: str
) -> None:
    launching = new_context()
    launch(launching.new_page(), base, "#launch-teacher", "en", "/teacher")
    page = new_context(
        storage_state=launching.storage_state(), java_script_enabled=False
    ).new_page()
    page.goto(base + LESSON + "/present")
    slides = page.locator("section.slide")
    for i in range(slides.count()):
        expect(slides.nth(i)).to_be_visible()


# -- 8. the year plan ---------------------------------------------------------------------


def test_teacher_sets_the_grade_and_works_the_plan_with_the_keyboard(page: Page, base: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    launch(page, base, "#launch-teacher", "en", "/teacher")
    page.goto(base + "/teacher")
    page.select_option("#year-plan select[name=band]", "basic")
    page.select_option("#year-plan select[name=grade]", "basic-5")
    with page.expect_navigation():
        page.locator("#year-plan button[type=submit]").press("Enter")
    expect(page.locator("#year-plan")).to_contain_text("Grade 5: year 1")
    page.locator("#year-plan a[href^='/plan']").click()
    page.wait_for_url(at(base + "/plan**"))
    rows = page.locator("tr[id^=slot-]")
    expect(rows).to_have_count(3)
    # Round 1 after round 2 is refused in plain words, and nothing moves.
    page.locator("#slot-basic-emergency-help-1 button[value=later]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main [role=alert]")).to_contain_text("would come before round 1")
    expect(rows.first).to_have_id("slot-basic-emergency-help-1")
    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, results.generate_report()
