"""Load quizzes from ``quizzes/quiz/*.yaml``, reporting every problem as ``path:line: field``."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import quiz_schema as q
from . import schema as s
from .loader import KEBAB, ContentErrors, Report, load_catalog
from .survey_loader import read_surveys
from .yaml_fields import BOOLEAN_ID, FileReport, YamlPath, choice, localized, read_yaml

QUIZ_FIELDS = {
    "id",
    "band",
    "audience",
    "layout",
    "attempts",
    "counts",
    "read_aloud",
    "title",
    "intro",
    "questions",
}
QUESTION_FIELDS = {"id", "type", "prompt", "image", "options", "correct", "explanation"}
OPTION_FIELDS = {"id", "text", "feedback", "image"}
IMAGE_FIELDS = {"src", "alt"}
IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp")
# Students answer at least this many questions, so one slip does not decide the score.
MIN_STUDENT_QUESTIONS = 4
MIN_CLASS_QUESTIONS = 3
SHORT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
READ_ALOUD_BANDS = (s.AgeBand.PRESCHOOL, s.AgeBand.PRIMARY)


def load_quizzes(quizzes_dir: Path) -> dict[str, q.Quiz]:
    """Load every quiz in ``quizzes_dir/quiz``; raise :class:`ContentErrors` with all problems."""
    report = Report(quizzes_dir.parent)
    quizzes = read_quizzes(quizzes_dir, report)
    if report.problems:
        raise ContentErrors(report.problems)
    return quizzes


def read_quizzes(quizzes_dir: Path, report: Report) -> dict[str, q.Quiz]:
    """Load the quizzes that are sound; add the problems of the rest to ``report``."""
    folder = quizzes_dir / "quiz"
    quizzes: dict[str, q.Quiz] = {}
    if not folder.is_dir():
        return quizzes
    for path in sorted(folder.glob("*.yaml")):
        quiz = _load_quiz(path, report)
        if quiz is not None:
            quizzes[quiz.id] = quiz
    for stray in sorted(folder.glob("*.yml")):
        report.add(stray, 1, "file", "quiz files end in .yaml")
    return quizzes


def _load_quiz(path: Path, report: Report) -> q.Quiz | None:
    read = read_yaml(path, report, "quiz")
    if read is None:
        return None
    data, r = read
    count = len(report.problems)
    for unknown in sorted(set(data) - QUIZ_FIELDS):
        r.add((unknown,), unknown, "unknown field")
    quiz_id = data.get("id")
    if not isinstance(quiz_id, str) or not KEBAB.match(quiz_id):
        r.add(("id",), "id", "required; a kebab-case slug such as basic-cyberbullying")
    elif quiz_id != path.stem:
        r.add(("id",), "id", f"must be {path.stem!r}, the file's name")
    band = data.get("band")
    if band not in set(s.AgeBand):
        r.add(("band",), "band", "required; one of " + ", ".join(s.AgeBand))
    audience = choice(r, data, "audience", q.QuizAudience, q.QuizAudience.STUDENT)
    layout = choice(r, data, "layout", q.QuizLayout, q.QuizLayout.ONE_PER_SCREEN)
    counts = choice(r, data, "counts", q.AttemptPolicy, q.AttemptPolicy.FIRST)
    attempts = data.get("attempts", 0)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0:
        r.add(("attempts",), "attempts", "a whole number of attempts; 0 means no limit")
        attempts = 0
    read_aloud = data.get("read_aloud", band in READ_ALOUD_BANDS)
    if not isinstance(read_aloud, bool):
        r.add(("read_aloud",), "read_aloud", "true or false")
    title = localized(r, data.get("title"), ("title",), "title", required=True)
    intro = localized(r, data.get("intro"), ("intro",), "intro", required=False)
    questions = _questions(r, data.get("questions"), path.parent, audience)
    if len(report.problems) > count:
        return None
    return q.Quiz(
        id=quiz_id,  # type: ignore[arg-type]
        band=s.AgeBand(str(band)),
        audience=audience,
        layout=layout,
        attempts=attempts,
        counts=counts,
        read_aloud=bool(read_aloud),
        title=title or {},
        intro=intro,
        questions=questions,
        folder=path.parent,
    )


def _image(r: FileReport, value: Any, at: YamlPath, name: str, folder: Path) -> q.QuizImage | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        r.add(at, name, "an image is {src: media/….svg, alt: {kk: …, ru: …, en: …}}")
        return None
    for unknown in sorted(set(value) - IMAGE_FIELDS):
        r.add((*at, unknown), f"{name}.{unknown}", "unknown field")
    src = value.get("src")
    if not isinstance(src, str) or not src.startswith("media/") or ".." in Path(src).parts:
        r.add((*at, "src"), f"{name}.src", "a file in quizzes/quiz/media/, written media/…")
        src = None
    elif not src.lower().endswith(IMAGE_SUFFIXES):
        r.add((*at, "src"), f"{name}.src", "pictures are " + ", ".join(IMAGE_SUFFIXES))
    elif not (folder / src).is_file():
        r.add((*at, "src"), f"{name}.src", f"broken link: {src} does not exist")
    alt = localized(r, value.get("alt"), (*at, "alt"), f"{name}.alt", required=True)
    if src is None or alt is None:
        return None
    return q.QuizImage(src=src, alt=alt)


def _questions(
    r: FileReport, value: Any, folder: Path, audience: q.QuizAudience
) -> tuple[q.Question, ...]:
    minimum = MIN_STUDENT_QUESTIONS if audience is q.QuizAudience.STUDENT else MIN_CLASS_QUESTIONS
    if not isinstance(value, list):
        r.add(("questions",), "questions", f"required; a list of {minimum} or more questions")
        return ()
    if len(value) < minimum:
        r.add(
            ("questions",),
            "questions",
            f"{len(value)} questions; a {audience} quiz needs at least {minimum}",
        )
    questions: list[q.Question] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        at: YamlPath = ("questions", index)
        name = f"questions[{index + 1}]"
        if not isinstance(item, dict):
            r.add(at, name, "a question is a mapping with id, type, prompt, …")
            continue
        question_id = item.get("id")
        if isinstance(question_id, str) and SHORT_ID.match(question_id):
            name = f"question {question_id}"
            if question_id in seen:
                r.add((*at, "id"), name, "the same id as an earlier question")
            seen.add(question_id)
        else:
            r.add((*at, "id"), name, "id required; a short kebab-case name such as who-to-tell")
        question = _question(r, item, at, name, folder)
        if question is not None:
            questions.append(question)
    return tuple(questions)


def _question(
    r: FileReport, item: dict[str, Any], at: YamlPath, name: str, folder: Path
) -> q.Question | None:
    for unknown in sorted(set(item) - QUESTION_FIELDS):
        r.add((*at, unknown), f"{name}: {unknown}", "unknown field")
    kind = item.get("type")
    if kind not in {t.value for t in q.QuestionType}:
        r.add((*at, "type"), f"{name}: type", "required; one of " + ", ".join(q.QuestionType))
        return None
    kind = q.QuestionType(kind)
    prompt = localized(r, item.get("prompt"), (*at, "prompt"), f"{name}: prompt", required=True)
    image = _image(r, item.get("image"), (*at, "image"), f"{name}: image", folder)
    explanation = localized(
        r, item.get("explanation"), (*at, "explanation"), f"{name}: explanation", required=False
    )
    if kind is q.QuestionType.TRUE_FALSE:
        options, correct = _true_false(r, item, at, name)
    else:
        options, correct = _options(r, item, at, name, kind, folder)
    if prompt is None or correct is None:
        return None
    return q.Question(
        id=str(item.get("id")),
        type=kind,
        prompt=prompt,
        options=options,
        correct=correct,
        explanation=explanation,
        image=image,
    )


def _true_false(
    r: FileReport, item: dict[str, Any], at: YamlPath, name: str
) -> tuple[tuple[q.Option, ...], frozenset[str] | None]:
    if "options" in item:
        r.add((*at, "options"), f"{name}: options", "a true-false question has no options")
    correct = item.get("correct")
    if not isinstance(correct, bool):
        r.add((*at, "correct"), f"{name}: correct", "true or false")
        return (), None
    options = tuple(q.Option(id=k, text=v) for k, v in q.TRUE_FALSE_OPTIONS.items())
    return options, frozenset({"true" if correct else "false"})


def _options(
    r: FileReport,
    item: dict[str, Any],
    at: YamlPath,
    name: str,
    kind: q.QuestionType,
    folder: Path,
) -> tuple[tuple[q.Option, ...], frozenset[str] | None]:
    raw = item.get("options")
    if isinstance(raw, dict) and set(map(str, raw)) & set(s.Lang):
        sizes = ", ".join(
            f"{lang} {len(v) if isinstance(v, list) else '?'}" for lang, v in raw.items()
        )
        r.add(
            (*at, "options"),
            f"{name}: options",
            f"options differ between languages ({sizes}); write one list of options, "
            "each with text: {kk: …, ru: …, en: …}",
        )
        return (), None
    if not isinstance(raw, list) or len(raw) < 2:
        r.add((*at, "options"), f"{name}: options", "required; a list of 2 or more options")
        return (), None
    options: list[q.Option] = []
    for index, option in enumerate(raw):
        o_at: YamlPath = (*at, "options", index)
        o_name = f"{name}: options[{index + 1}]"
        if not isinstance(option, dict):
            r.add(o_at, o_name, "an option is {id: a, text: {kk: …, ru: …, en: …}}")
            continue
        for unknown in sorted(set(option) - OPTION_FIELDS):
            r.add((*o_at, unknown), f"{o_name}.{unknown}", "unknown field")
        option_id = option.get("id")
        if isinstance(option_id, bool):
            r.add((*o_at, "id"), o_name, BOOLEAN_ID)
            continue
        if not isinstance(option_id, str) or not SHORT_ID.match(option_id):
            r.add((*o_at, "id"), o_name, "id required; a short name such as a, b or tell-adult")
            continue
        o_name = f"{name}: option {option_id}"
        if any(o.id == option_id for o in options):
            r.add((*o_at, "id"), o_name, "the same id as an earlier option")
        text = localized(r, option.get("text"), (*o_at, "text"), f"{o_name}.text", required=True)
        feedback = localized(
            r,
            option.get("feedback"),
            (*o_at, "feedback"),
            f"{o_name}.feedback",
            required=kind is q.QuestionType.SCENARIO,
        )
        image = _image(r, option.get("image"), (*o_at, "image"), f"{o_name}.image", folder)
        if kind is q.QuestionType.PICTURE and "image" not in option:
            r.add(o_at, f"{o_name}.image", "required: a picture question shows a picture")
        options.append(q.Option(id=option_id, text=text or {}, feedback=feedback, image=image))
    _distinct_texts(r, options, at, name)
    return tuple(options), _correct(r, item, at, name, kind, options)


def _distinct_texts(r: FileReport, options: list[q.Option], at: YamlPath, name: str) -> None:
    for lang in s.Lang:
        texts = [o.text[lang.value].casefold() for o in options if o.text.get(lang.value)]
        if len(set(texts)) != len(texts):
            r.add((*at, "options"), f"{name}: options", f"two options read the same in {lang}")


def _correct(
    r: FileReport,
    item: dict[str, Any],
    at: YamlPath,
    name: str,
    kind: q.QuestionType,
    options: list[q.Option],
) -> frozenset[str] | None:
    raw = item.get("correct")
    given = [raw] if isinstance(raw, str) else raw
    if not isinstance(given, list) or not given or not all(isinstance(x, str) for x in given):
        r.add((*at, "correct"), f"{name}: correct", "required; the id of the right option")
        return None
    ids = {o.id for o in options}
    for missing in [x for x in given if x not in ids]:
        r.add(
            (*at, "correct"),
            f"{name}: correct",
            f"correct answer {missing!r} is not an option (" + ", ".join(sorted(ids)) + ")",
        )
    several_allowed = kind in (q.QuestionType.MULTIPLE, q.QuestionType.SCENARIO)
    if several_allowed and len(set(given)) == len(options):
        r.add((*at, "correct"), f"{name}: correct", "every option is right; leave one wrong")
    elif not several_allowed and len(given) != 1:
        r.add(
            (*at, "correct"),
            f"{name}: correct",
            f"a {kind} question has one right option; use type multiple for more",
        )
    return frozenset(given)


def load_content(root: Path) -> s.Catalog:
    """Load ``root/quizzes`` (quizzes and surveys) and ``root/lessons`` together, reporting
    every problem of all of them."""
    report = Report(root)
    quizzes = read_quizzes(root / "quizzes", report)
    surveys = read_surveys(root / "quizzes", report)
    broken = {p.stem for p in (root / "quizzes" / "quiz").glob("*.yaml")} - set(quizzes)
    try:
        catalog = load_catalog(root / "lessons", quizzes=quizzes, broken_quizzes=broken)
    except ContentErrors as exc:
        raise ContentErrors(report.problems + exc.problems) from None
    if report.problems:
        raise ContentErrors(report.problems)
    return replace(catalog, surveys=surveys)
