"""A student takes a quiz in Chromium inside the demo course's frame, loses the tab half way,
comes back through a new launch, finishes, and the score reaches the demo platform's gradebook
(through the outbox, AGS and the platform's token endpoint). The quiz pages pass axe-core."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from app.content_catalog import ROOT
from lti.demo_platform.platform import DemoSettings
from tests.browser.conftest import TIMEOUT_MS, at, serve_demo

pytestmark = pytest.mark.browser

LESSON = DemoSettings.quiz_lesson
QUIZ = LESSON  # a lesson's quiz has the lesson's id
STUDENT_NAME = "Dana Nurlanqyzy"
BLOCKING_IMPACTS = ("critical", "serious")

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def base(database_url_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Qadam with the real lessons and quizzes, the demo platform, and the outbox worker."""
    with serve_demo(
        database_url_factory(),
        tmp_path_factory.mktemp("browser-quiz"),
        QADAM_CONTENT_ROOT=str(ROOT),
        QADAM_OUTBOX_WORKER=True,
        QADAM_OUTBOX_INTERVAL=0.5,
    ) as base_url:
        yield base_url


def open_quiz_from_the_course(context: BrowserContext, base: str) -> tuple[Page, Frame]:
    """The student opens the course's quiz activity, then the quiz from the lesson."""
    page = context.new_page()
    page.goto(f"{base}/demo?lang=en")
    page.locator("#quiz-student1").click()
    frame = page.frame(name="qadam-frame")
    assert frame is not None
    frame.wait_for_url(at(f"{base}/lessons/{LESSON}/student"))
    frame.get_by_role("link", name="Check what you learned").click()
    frame.wait_for_url(at(f"{base}/quizzes/{QUIZ}/*"))
    return page, frame


def option_order(frame: Frame) -> list[str]:
    """The option ids of the question on screen, in the order shown."""
    inputs = frame.locator("fieldset.question label.option input")
    return [str(inputs.nth(i).get_attribute("value")) for i in range(inputs.count())]


def answer_current_question(frame: Frame) -> str:
    """Choose the first option of the question on screen; wait until the server has it."""
    question = frame.locator("fieldset.question")
    question_id = str(question.get_attribute("data-question"))
    question.locator("label.option").first.click()
    expect(frame.locator("#save-status")).to_have_text("Saved")
    return question_id


def test_a_quiz_survives_a_closed_tab_and_the_score_reaches_the_gradebook(
    new_context: Callable[..., BrowserContext], base: str
) -> None:
    first_context = new_context(locale="en-GB")
    page, frame = open_quiz_from_the_course(first_context, base)
    expect(frame.locator(".q-number")).to_have_text("Question 1 of 5")
    answered = [answer_current_question(frame)]
    frame.get_by_role("button", name="Next").click()
    expect(frame.locator(".q-number")).to_have_text("Question 2 of 5")
    shown = option_order(frame)
    answered.append(answer_current_question(frame))
    frame.goto(frame.url)  # reload the quiz in its frame
    expect(frame.locator(".q-number")).to_have_text("Question 2 of 5")
    assert option_order(frame) == shown, "a reload keeps the attempt's option order"
    # The tab is closed half way and the session goes with the browser context.
    page.close()
    first_context.close()

    second_context = new_context(locale="en-GB")
    page, frame = open_quiz_from_the_course(second_context, base)
    expect(frame.locator(".q-number")).to_have_text("Question 2 of 5")
    expect(frame.locator("main")).to_contain_text("2 of 5 questions answered")
    assert option_order(frame) == shown, "the resumed attempt shows the same option order"
    assert frame.locator("fieldset.question input:checked").count() >= 1, "the answer is kept"
    frame.get_by_role("button", name="Next").click()
    for number in range(3, 6):
        expect(frame.locator(".q-number")).to_have_text(f"Question {number} of 5")
        answer_current_question(frame)
        name = "Finish the quiz" if number == 5 else "Next"
        frame.get_by_role("button", name=name).click()
    frame.wait_for_url(at(f"{base}/quizzes/{QUIZ}/attempts/*/result"))
    score_text = frame.locator("#quiz-score").inner_text()
    assert score_text.startswith("Your score: ")
    percent = int(score_text.removeprefix("Your score: ").rstrip("%"))

    # The outbox worker delivers the score to the platform's gradebook.
    gradebook = second_context.new_page()
    deadline = time.monotonic() + 20
    while True:
        gradebook.goto(f"{base}/demo/gradebook?lang=en")
        row = gradebook.locator("#demo-gradebook tr", has_text=STUDENT_NAME)
        if row.count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(row).to_have_count(1)
    given = float(row.locator("td").nth(1).inner_text().split("/")[0])
    assert round(given) == percent


def test_the_quiz_works_without_javascript(
    new_context: Callable[..., BrowserContext], base: str
) -> None:
    context = new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    # Without scripts the platform's hand-off forms need a click (here at the top level).
    page.goto(f"{base}/demo/start/student2?lang=en&kind=quiz")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/demo/auth*")
    page.locator("button[type=submit]").click()
    page.wait_for_url(at(f"{base}/lessons/{LESSON}/student"))
    page.get_by_role("link", name="Check what you learned").click()
    expect(page.locator("[data-speak]")).to_have_count(0)  # no listen button without speech
    page.locator("fieldset.question label.option").first.click()
    first = page.locator("fieldset.question").get_attribute("data-question")
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator(f"#question-{first} .feedback")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".q-number")).to_have_text("Question 2 of 5")
    expect(page.locator("main")).to_contain_text("1 of 5 questions answered")


def axe_check(page: Page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["passes"], "axe checked nothing: is the page empty?"
    violations = results.response["violations"]
    print(f"axe {name} ({page.url}): {[(v['id'], v['impact']) for v in violations]}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, results.generate_report()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_quiz_pages_have_no_serious_accessibility_violations(
    new_context: Callable[..., BrowserContext], base: str, lang: str
) -> None:
    context = new_context()
    page = context.new_page()
    page.goto(f"{base}/demo?lang={lang}")
    page.locator("#quiz-student1").click()
    frame = page.frame(name="qadam-frame")
    assert frame is not None
    frame.wait_for_url(at(f"{base}/lessons/{LESSON}/student"))
    page.goto(f"{base}/quizzes/{QUIZ}/")  # top level, same origin: the session goes along
    if page.url.split("?")[0].endswith(
        "/result"
    ):  # an earlier test finished this student's attempt
        page.locator("form[action*='/again'] button").click()
        page.wait_for_url(at(f"{base}/quizzes/{QUIZ}/?q=0"))
    axe_check(page, f"quiz question ({lang})")
    page.locator("fieldset.question label.option").first.click()
    page.locator("fieldset.question button[name=action][value^=check]").click()
    page.wait_for_load_state()
    axe_check(page, f"quiz feedback ({lang})")
    page.goto(f"{base}/quizzes/{QUIZ}/?q=4")
    page.locator("button[value=finish]").click()
    page.wait_for_url(at(f"{base}/quizzes/{QUIZ}/attempts/*/result"))
    axe_check(page, f"quiz result ({lang})")

    teacher = new_context().new_page()
    teacher.goto(f"{base}/demo?lang={lang}")
    teacher.locator("#quiz-teacher").click()
    teacher_frame = teacher.frame(name="qadam-frame")
    assert teacher_frame is not None
    teacher_frame.wait_for_url(at(f"{base}/lessons/{LESSON}/"))
    teacher.goto(f"{base}/quizzes/{QUIZ}/results")
    expect(teacher.locator("#item-analysis")).to_be_visible()
    axe_check(teacher, f"teacher results ({lang})")
    teacher.goto(f"{base}/quizzes/preschool-emergency-help/check")
    axe_check(teacher, f"class picture check ({lang})")


FAKE_VOICES = """
Object.defineProperty(window.speechSynthesis, "getVoices", {
  value: () => VOICES.map((lang) => ({lang: lang, name: "Test " + lang, default: false})),
});
"""


@pytest.mark.parametrize(("voices", "listen_shown"), [(["kk-KZ"], True), (["en-US"], False)])
def test_listen_shows_only_with_a_voice_for_the_language(
    new_context: Callable[..., BrowserContext], base: str, voices: list[str], listen_shown: bool
) -> None:
    context = new_context()
    context.add_init_script(FAKE_VOICES.replace("VOICES", repr(voices)))
    teacher = context.new_page()
    teacher.goto(f"{base}/demo?lang=kk")
    teacher.locator("#quiz-teacher").click()
    frame = teacher.frame(name="qadam-frame")
    assert frame is not None
    frame.wait_for_url(at(f"{base}/lessons/{LESSON}/"))
    teacher.goto(f"{base}/quizzes/preschool-emergency-help/check")
    first = teacher.locator("section.class-check").first
    listen, note = first.locator("button.listen"), first.locator("[data-no-voice]")
    if listen_shown:
        expect(listen).to_be_visible()
        expect(note).to_be_hidden()
    else:
        expect(note).to_be_visible()
        expect(note).to_contain_text("қазақ тілінде оқитын дауыс жоқ")
        expect(listen).to_be_hidden()
