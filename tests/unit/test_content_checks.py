"""The content checks beyond the format: blind strategies, no multiple response for young
children, and the glossary's banned variants, each reported as path:line: field: message."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from app.content.glossary import glossary_problems
from app.content.quiz_loader import load_content
from app.content.quiz_schema import (
    TRUE_FALSE_OPTIONS,
    AttemptPolicy,
    Option,
    Question,
    QuestionType,
    Quiz,
    QuizAudience,
    QuizLayout,
)
from app.content.schema import AgeBand
from app.services.content_checks import blind_scores, quality_problems, worst_blind_score
from tests.conftest import CONTENT_ROOT

QUIZ = "quizzes/quiz/emergency-quiz.yaml"
LESSON_EN = "lessons/basic/emergency-help/en.md"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def problems(root: Path) -> list[str]:
    return [str(p) for p in quality_problems(root, load_content(root).quizzes)]


def text(word: str) -> dict[str, str]:
    return {"kk": word, "ru": word, "en": word}


def single(qid: str, options: int, right: int, kind: QuestionType = QuestionType.SINGLE) -> Any:
    ids = [f"o{i}" for i in range(options)]
    return Question(
        qid, kind, text(qid), tuple(Option(i, text(i)) for i in ids), frozenset({ids[right]})
    )


def true_false(qid: str, answer: bool) -> Question:
    options = tuple(Option(k, v) for k, v in TRUE_FALSE_OPTIONS.items())
    return Question(
        qid, QuestionType.TRUE_FALSE, text(qid), options, frozenset({str(answer).lower()})
    )


def multiple(qid: str, right: int, wrong: int) -> Question:
    ids = [f"r{i}" for i in range(right)] + [f"w{i}" for i in range(wrong)]
    options = tuple(Option(i, text(i)) for i in ids)
    return Question(qid, QuestionType.MULTIPLE, text(qid), options, frozenset(ids[:right]))


def quiz(*questions: Question) -> Quiz:
    return Quiz(
        id="q",
        band=AgeBand.BASIC,
        audience=QuizAudience.STUDENT,
        layout=QuizLayout.ONE_PER_SCREEN,
        attempts=0,
        counts=AttemptPolicy.FIRST,
        read_aloud=False,
        title=text("t"),
        intro=None,
        questions=questions,
        folder=Path("."),
    )


def test_blind_strategies_pick_a_position_one_truth_value_and_tick_everything() -> None:
    found = quiz(
        single("a", 3, 0),
        single("b", 2, 1),  # two options: "second" and "last" are the same
        single("c", 4, 2, QuestionType.SCENARIO),  # right in the third of four: never blind
        true_false("d", False),
        multiple("e", right=3, wrong=1),  # ticking all four: (3 - 1) / 3
    )
    scores = {(b.position, b.answer_true): round(b.score, 4) for b in blind_scores(found)}
    assert scores == {
        ("first", True): round((1 + 0 + 0 + 0 + 2 / 3) / 5, 4),
        ("first", False): round((1 + 0 + 0 + 1 + 2 / 3) / 5, 4),
        ("second", True): round((0 + 1 + 0 + 0 + 2 / 3) / 5, 4),
        ("second", False): round((0 + 1 + 0 + 1 + 2 / 3) / 5, 4),
        ("last", True): round((0 + 1 + 0 + 0 + 2 / 3) / 5, 4),
        ("last", False): round((0 + 1 + 0 + 1 + 2 / 3) / 5, 4),
    }
    worst = worst_blind_score(found)
    assert (worst.position, worst.answer_true) == ("first", False)
    assert worst.describe() == "always the first option, always false, every box ticked"


def test_a_quiz_with_spread_answers_scores_little_blind() -> None:
    spread = quiz(
        single("a", 3, 0),
        single("b", 3, 1),
        single("c", 3, 2),
        true_false("d", True),
        true_false("e", False),
        multiple("f", right=2, wrong=2),  # ticking everything scores 0
    )
    assert worst_blind_score(spread).score == pytest.approx(2 / 6)


def test_the_fixture_content_passes_every_check() -> None:
    assert problems(CONTENT_ROOT) == []


def test_a_quiz_passable_blind_fails(root: Path) -> None:
    # The first option becomes the right one: first + true + tick all scores 60%.
    edit(root / QUIZ, "    correct: firefighters", "    correct: friend")
    found = problems(root)
    line = line_of(root / QUIZ, "questions:")
    assert found == [
        f"{QUIZ}:{line}: questions: answering blind scores 60% (always the first option, "
        "always true, every box ticked); at most 40%: spread the right answers over the "
        "positions, balance true and false, and give multiple-response questions as many "
        "wrong options as right"
    ]


def test_class_quizzes_are_not_scored_blind(root: Path) -> None:
    edit(root / QUIZ, "    correct: firefighters", "    correct: friend")
    edit(root / QUIZ, "audience: student", "audience: class")
    assert problems(root) == []


@pytest.mark.parametrize("band", ["primary", "preschool"])
def test_no_multiple_response_for_young_children(root: Path, band: str) -> None:
    edit(root / QUIZ, "band: basic", f"band: {band}")
    line = line_of(root / QUIZ, "type: multiple")
    assert (
        f"{QUIZ}:{line}: question helpers: type: no multiple-response questions for {band}: "
        in ("\n".join(problems(root)))
    )


def test_a_planted_banned_term_fails_with_its_file_and_line(root: Path) -> None:
    lesson = root / LESSON_EN
    edit(lesson, "with toy phones:", "with toy phones, while onlookers watch:")
    kk_lesson = root / "lessons/basic/emergency-help/kk.md"
    kk_lesson.write_text(kk_lesson.read_text() + "\nБақылаушылар не істейді?\n")
    edit(root / QUIZ, "      ru: Кто может помочь?", "      ru: Кто может помочь? Наблюдатель?")
    found = problems(root)
    assert sorted(found) == [
        f"lessons/basic/emergency-help/en.md:{line_of(lesson, 'onlookers')}: glossary bystander: "
        "'onlookers' is not the glossary's word here; write «bystander»",
        f"lessons/basic/emergency-help/kk.md:{line_of(kk_lesson, 'Бақылаушылар')}: glossary "
        "bystander: 'Бақылаушылар' is not the glossary's word here; write «куәгер»",
        f"{QUIZ}:{line_of(root / QUIZ, 'Наблюдатель?')}: glossary bystander: 'Наблюдатель' is "
        "not the glossary's word here; write «свидетель»",
    ]


def test_banned_terms_count_only_in_their_language_and_bands(root: Path) -> None:
    # A Russian ban in an English text, and an allowed form, and a primary-only ban in basic.
    edit(root / LESSON_EN, "with toy phones:", "with toy phones (наблюдатель):")
    kk = root / "lessons/basic/emergency-help/kk.md"
    kk.write_text(kk.read_text() + "\nБейтарап бақылаушылар үндемейді. Хат алмасу.\n")
    assert problems(root) == []


def test_the_glossary_file_is_checked_with_lines(root: Path) -> None:
    glossary = root / "lessons" / "GLOSSARY.yaml"
    edit(glossary, "      en: ['\\bonlookers?\\b']", "      en: ['(?<!a|bc)x']\n      fr: [x]")
    edit(glossary, "    meaning: writing to someone in a chat", "    colour: red")
    edit(glossary, "    bands: [primary]", "    bands: [nursery]")
    found = "\n".join(str(p) for p in glossary_problems(root))
    lines = {f: line_of(glossary, f) for f in ("(?<!a|bc)", "fr: [x]", "colour:", "nursery")}
    assert (
        f"lessons/GLOSSARY.yaml:{lines['(?<!a|bc)']}: term bystander: banned.en: not a valid "
        "regular expression: look-behind requires fixed-width pattern" in found
    )
    assert f"GLOSSARY.yaml:{lines['fr: [x]']}: term bystander: banned.fr: unknown language" in found
    assert f"GLOSSARY.yaml:{lines['colour:']}: term chatting-online: colour: unknown field" in found
    assert "term chatting-online: meaning: required text" in found
    assert (
        f"GLOSSARY.yaml:{lines['nursery']}: term chatting-online: bands: a list of bands" in found
    )


def test_a_missing_glossary_is_a_problem(root: Path) -> None:
    (root / "lessons" / "GLOSSARY.yaml").unlink()
    assert problems(root) == [
        "lessons/GLOSSARY.yaml:1: glossary: missing; the content check needs lessons/GLOSSARY.yaml"
    ]


def test_content_check_reports_blind_scores_and_problems(make_app: Any, root: Path) -> None:
    runner = make_app(QADAM_CONTENT_ROOT=str(root)).test_cli_runner()
    passed = runner.invoke(args=["content", "check", "--verbose"])
    assert passed.exit_code == 0, passed.output
    assert "40%  emergency-quiz  (always the first option, always true" in passed.output
    assert "0 of 1 graded quizzes score above 40% when answered blind." in passed.output
    edit(root / QUIZ, "    correct: firefighters", "    correct: friend")
    edit(root / LESSON_EN, "with toy phones:", "with toy phones, while onlookers watch:")
    failed = runner.invoke(args=["content", "check"])
    assert failed.exit_code == 1
    assert "1 of 1 graded quizzes score above 40% when answered blind." in failed.output
    assert f"{LESSON_EN}:" in failed.output
    assert "glossary bystander" in failed.output
    assert "2 problem(s) in the content." in failed.output
