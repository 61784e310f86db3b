"""The content loader reports every problem at once, with file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.content import ContentErrors, load_catalog
from app.content.render import fill_placeholders, render

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "content" / "lessons"
LESSON = "basic/emergency-help"


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    root = tmp_path / "lessons"
    shutil.copytree(FIXTURE, root)
    return root


def problems(root: Path, quizzes: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_catalog(root, quizzes=quizzes)
    return [str(p) for p in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_fixture_lesson_loads(lessons: Path) -> None:
    catalog = load_catalog(lessons)
    [lesson] = catalog.lessons
    assert lesson.id == "basic-emergency-help"
    assert set(lesson.texts) == {"kk", "ru", "en"}
    steps = lesson.texts["en"].sections["steps"]
    assert len(steps.items) == len(lesson.step_minutes) == 4
    assert steps.items[0].startswith("<p><strong>Hello circle.</strong>")


def test_every_problem_is_reported_at_once_with_file_line_and_field(lessons: Path) -> None:
    folder = lessons / LESSON
    edit(folder / "lesson.yaml", "topic: emergency-help", "topic: fire-drills")
    edit(folder / "lesson.yaml", "step_minutes: [2, 3, 3, 2]", "step_minutes: [2, 3, 3, 3]")
    (folder / "kk.md").unlink()
    edit(folder / "ru.md", "## Поговорим {#discussion}", "## Поговорим {#talk}")
    edit(folder / "en.md", "with toy phones:", "with toy phones <script>alert(1)</script>:")
    edit(
        folder / "en.md",
        "## Talk about it {#discussion}\n",
        "## Talk about it {#discussion}\n\n![](media/phone.png)\n[map](media/map.pdf)\n",
    )
    edit(folder / "en.md", "calls {{emergency}}.", "calls 112.")
    found = problems(lessons, quizzes=())
    expected_fragments = [
        f"lessons/{LESSON}/lesson.yaml:6: topic: unknown topic 'fire-drills'",
        f"lessons/{LESSON}/lesson.yaml:9: step_minutes: the steps add up to 11 minutes",
        f"lessons/{LESSON}/kk.md:1: language: missing kk text",
        f"lessons/{LESSON}/ru.md:",
        "section: unknown section id {#talk}",
        "section discussion: missing",
        f"lessons/{LESSON}/en.md:",
        "section activity: contains HTML that sanitising would remove",
        "section discussion: image without alt text",
        "section discussion: broken link: media/phone.png does not exist",
        "section discussion: broken link: media/map.pdf does not exist",
        "help number 112 written in the text",
    ]
    joined = "\n".join(found)
    for fragment in expected_fragments:
        assert fragment in joined, f"{fragment!r} not in:\n{joined}"


def test_line_numbers_point_at_the_right_line(lessons: Path) -> None:
    path = lessons / LESSON / "en.md"
    edit(path, "## What to say {#say}", "## What to say {#sey}")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "{#sey}" in text)
    assert any(f"en.md:{line}: section: unknown section id" in p for p in problems(lessons))


def test_unknown_band_duplicate_id_and_missing_quiz(lessons: Path) -> None:
    shutil.copytree(lessons / LESSON, lessons / "basic" / "copy")
    shutil.copytree(lessons / "basic", lessons / "nursery")
    edit(lessons / LESSON / "lesson.yaml", "repeat: true", "repeat: true\nquiz: no-such-quiz")
    found = "\n".join(problems(lessons))
    assert "lessons/nursery:1: band: unknown band folder 'nursery'" in found
    assert "basic/emergency-help/lesson.yaml:1: id: duplicate id 'basic-emergency-help'" in found
    assert "lesson.yaml:11: quiz: no quiz 'no-such-quiz' in quizzes/quiz/" in found


def test_known_quiz_is_accepted(lessons: Path) -> None:
    edit(lessons / LESSON / "lesson.yaml", "repeat: true", "repeat: true\nquiz: emergency-quiz")
    [lesson] = load_catalog(lessons, quizzes=("emergency-quiz",)).lessons
    assert lesson.quiz == "emergency-quiz"


def test_minutes_must_suit_the_format(lessons: Path) -> None:
    edit(lessons / LESSON / "lesson.yaml", "minutes: 10", "minutes: 30")
    assert any("a micro lesson takes 10–10 minutes, not 30" in p for p in problems(lessons))


def test_unknown_placeholder_and_front_matter(lessons: Path) -> None:
    path = lessons / LESSON / "en.md"
    edit(path, "{{emergency}}", "{{helpline}}")
    edit(path, "title: Who helps when something is wrong\n", "")
    found = "\n".join(problems(lessons))
    assert "unknown placeholder {{helpline}}" in found
    assert "en.md:1: title: required text" in found


def test_rendering_is_sanitised_and_links_open_safely() -> None:
    html = render(
        "[site](https://example.kz) <img src=x onerror=alert(1)> [js](javascript:alert(1))"
    )
    assert 'target="_blank"' in html
    assert 'rel="noopener noreferrer"' in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_placeholders_are_filled_and_escaped() -> None:
    assert fill_placeholders("<p>call {{emergency}}</p>", {"emergency": "112"}) == "<p>call 112</p>"
    assert fill_placeholders("{{centre_name}}", {"centre_name": "<b>"}) == "&lt;b&gt;"
    assert fill_placeholders("{{centre_name}}", {"centre_name": "<b>"}, escape=False) == "<b>"


def test_later_rounds_have_a_scenario_and_their_own_steps(lessons: Path) -> None:
    [lesson] = load_catalog(lessons).lessons
    for lang in ("kk", "ru", "en"):
        sessions = lesson.texts[lang].sessions
        assert sorted(sessions) == [2, 3]
        assert all(len(x.steps) == len(lesson.step_minutes) for x in sessions.values())
        # The rounds are not the main lesson's sections, so pages do not show them by accident.
        assert not any(sid.startswith("round") for sid in lesson.texts[lang].sections)
    second = lesson.texts["en"].sessions[2]
    assert second.title == "The second time: lost at the market"
    assert second.scenario.startswith("<p>Aigerim")
    assert second.steps[0].startswith("<p><strong>Remember.</strong>")
    assert "Who at a market" in second.after
    assert lesson.texts["en"].sessions[3].after == ""


def test_round_problems_are_reported(lessons: Path) -> None:
    folder = lessons / LESSON
    edit(folder / "en.md", "4. **Close.** Everyone says", "Everyone says")
    edit(
        folder / "en.md",
        "Timur's ball rolled away in the park and now he does not know the way back.\n",
        "",
    )
    edit(folder / "ru.md", "{#round-3}", "{#round-7}")
    found = "\n".join(problems(lessons))
    assert "en.md:" in found
    assert "section round-2: 3 numbered steps, but lesson.yaml step_minutes has 4" in found
    assert "section round-3: starts with the scenario: a paragraph before the steps" in found
    assert "ru.md:" in found
    assert "unknown section id {#round-7}" in found


def test_languages_share_rounds_and_a_second_year_comes_whole(lessons: Path) -> None:
    folder = lessons / LESSON
    edit(folder / "kk.md", "{#round-3}", "{#round-4}")
    found = "\n".join(problems(lessons))
    assert "rounds: the languages have different rounds" in found
    edit(folder / "kk.md", "{#round-4}", "{#round-3}")
    for lang in ("kk", "ru", "en"):
        text = (folder / f"{lang}.md").read_text()
        start = text.index("{#round-3}")
        block = text[text.rindex("\n## ", 0, start) :]
        (folder / f"{lang}.md").write_text(text + block.replace("{#round-3}", "{#round-4}"))
    found = "\n".join(problems(lessons))
    assert "rounds: a second year needs round-4, round-5 and round-6 together" in found


def test_only_micro_lessons_have_rounds(lessons: Path) -> None:
    folder = lessons / LESSON
    edit(folder / "lesson.yaml", "format: micro\nminutes: 10", "format: conversation\nminutes: 15")
    edit(folder / "lesson.yaml", "step_minutes: [2, 3, 3, 2]", "step_minutes: [3, 4, 4, 4]")
    found = "\n".join(problems(lessons))
    assert "section round-2: only micro-lessons have rounds, not a conversation lesson" in found
