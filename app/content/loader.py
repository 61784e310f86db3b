"""Load lessons from ``lessons/`` and report every problem at once as ``path:line: field: msg``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from . import schema as s
from .quiz_schema import Quiz
from .render import PLACEHOLDER, markdown_to_html, sanitize

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*\{#(?P<id>[a-z0-9_-]+)\}\s*$")
LIST_ITEM = re.compile(r"^\d+\.\s+")
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]*)[^)]*\)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<href>[^)\s]*)[^)]*\)")
NUMBER = re.compile(r"(?<![\d\-–])(" + "|".join(s.HARD_CODED_NUMBERS) + r")(?![\d\-–])")
LESSON_FIELDS = {
    "id",
    "band",
    "format",
    "minutes",
    "topic",
    "block",
    "order",
    "step_minutes",
    "quiz",
    "repeat",
    "reviewers",
}
FRONT_FIELDS = {"title", "summary", "objectives"}


@dataclass(frozen=True)
class ContentProblem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class ContentErrors(Exception):
    """The content has problems; ``problems`` lists every one."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Report:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[ContentProblem] = []

    def add(self, path: Path, line: int, field: str, message: str) -> None:
        try:
            shown = str(path.relative_to(self.base))
        except ValueError:
            shown = str(path)
        self.problems.append(ContentProblem(shown, line, field, message))


# libyaml's C parser when PyYAML was built with it: several times faster than pure Python.
FAST_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """Parse YAML quickly; a document in error is parsed again to word the error as always."""
    try:
        return yaml.load(text, Loader=FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises with the pure-Python parser's message and line


class TopLines:
    """The line of each top-level key of a YAML text, parsed only when a problem asks."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[str, int] | None = None

    def get(self, key: str, default: int) -> int:
        if self._lines is None:
            self._lines = {}
            node = yaml.compose(self._text)
            if isinstance(node, yaml.MappingNode):
                for name, _value in node.value:
                    self._lines[str(name.value)] = name.start_mark.line + 1
        return self._lines.get(key, default)


def _yaml_with_lines(text: str) -> tuple[Any, TopLines]:
    """Parse YAML; return the data and (lazily) the line of each top-level key."""
    return parse_yaml(text), TopLines(text)


def check_plain_text(text: str) -> list[str]:
    """Problems of a short plain text (a quiz string): HTML, unknown placeholders, numbers."""
    problems = []
    if re.search(r"<[a-zA-Z/!]", text):
        problems.append("HTML is not allowed here; write plain text")
    for match in PLACEHOLDER.finditer(text):
        if match.group(1) not in s.HELP_PLACEHOLDERS:
            problems.append(
                f"unknown placeholder {{{{{match.group(1)}}}}}; use one of "
                + ", ".join(s.HELP_PLACEHOLDERS)
            )
    for match in NUMBER.finditer(PLACEHOLDER.sub("", text)):
        problems.append(
            f"help number {match.group(1)} written in the text; use a placeholder such "
            "as {{emergency}} so it follows the configuration"
        )
    return problems


def load_catalog(
    lessons_dir: Path,
    *,
    quizzes: Iterable[str] | Mapping[str, Quiz] = (),
    broken_quizzes: Iterable[str] = (),
) -> s.Catalog:
    """Load every lesson under ``lessons_dir``; raise :class:`ContentErrors` with all problems.

    ``quizzes`` are the quizzes lessons may name: their ids, or the loaded quizzes, which the
    catalog then carries. ``broken_quizzes`` exist but have problems reported elsewhere.
    """
    report = Report(lessons_dir.parent)
    known_quizzes = frozenset(quizzes) | frozenset(broken_quizzes)
    loaded_quizzes = dict(quizzes) if isinstance(quizzes, Mapping) else {}
    lessons: list[s.Lesson] = []
    seen: dict[str, Path] = {}
    for band_dir in sorted(p for p in lessons_dir.iterdir() if p.is_dir()):
        if band_dir.name not in set(s.AgeBand):
            report.add(
                band_dir,
                1,
                "band",
                f"unknown band folder {band_dir.name!r}; use one of " + ", ".join(s.AgeBand),
            )
            continue
        for folder in sorted(p for p in band_dir.iterdir() if p.is_dir()):
            lesson = _load_lesson(folder, band_dir.name, known_quizzes, report)
            lesson_id = _declared_id(folder / "lesson.yaml")
            if lesson_id is not None and lesson_id in seen:
                report.add(
                    folder / "lesson.yaml",
                    1,
                    "id",
                    f"duplicate id {lesson_id!r}, also in {seen[lesson_id].parent}",
                )
                continue
            if lesson_id is not None:
                seen[lesson_id] = folder / "lesson.yaml"
            if lesson is not None:
                lessons.append(lesson)
    for lesson in lessons:
        quiz = loaded_quizzes.get(lesson.quiz or "")
        if quiz is not None and quiz.band != lesson.band:
            report.add(
                lesson.folder / "lesson.yaml",
                1,
                "quiz",
                f"quiz {quiz.id!r} is for {quiz.band}, the lesson for {lesson.band}",
            )
    if report.problems:
        raise ContentErrors(report.problems)
    lessons.sort(key=lambda x: (list(s.AgeBand).index(x.band), x.order, x.id))
    return s.Catalog(tuple(lessons), loaded_quizzes)


def _declared_id(meta_path: Path) -> str | None:
    try:
        meta = parse_yaml(meta_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    lesson_id = meta.get("id") if isinstance(meta, dict) else None
    return lesson_id if isinstance(lesson_id, str) else None


def _load_lesson(
    folder: Path, band: str, quizzes: frozenset[str], report: Report
) -> s.Lesson | None:
    meta_path = folder / "lesson.yaml"
    if not meta_path.is_file():
        report.add(meta_path, 1, "lesson.yaml", "missing")
        return None
    try:
        meta, lines = _yaml_with_lines(meta_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.add(meta_path, (mark.line + 1) if mark else 1, "yaml", str(exc).splitlines()[0])
        return None
    if not isinstance(meta, dict):
        report.add(meta_path, 1, "lesson.yaml", "must be a mapping of fields")
        return None
    count = len(report.problems)

    def bad(field: str, message: str) -> None:
        report.add(meta_path, lines.get(field, 1), field, message)

    for unknown in sorted(set(meta) - LESSON_FIELDS):
        bad(unknown, "unknown field")
    lesson_id = meta.get("id")
    if not isinstance(lesson_id, str) or not KEBAB.match(lesson_id):
        bad("id", "required; a kebab-case slug such as basic-cyberbullying")
    if meta.get("band") != band:
        bad(
            "band",
            f"must be {band!r} (the folder it is in)"
            if meta.get("band") in set(s.AgeBand)
            else f"unknown band {meta.get('band')!r}",
        )
    fmt = meta.get("format")
    if fmt not in set(s.LessonFormat):
        bad("format", "required; one of " + ", ".join(s.LessonFormat))
        fmt = None
    minutes = meta.get("minutes")
    if not isinstance(minutes, int):
        bad("minutes", "required; a whole number")
    elif fmt is not None:
        low, high = s.MINUTES[s.LessonFormat(fmt)]
        if not low <= minutes <= high:
            bad("minutes", f"a {fmt} lesson takes {low}–{high} minutes, not {minutes}")
    steps = meta.get("step_minutes")
    if (
        not isinstance(steps, list)
        or not steps
        or not all(isinstance(x, int) and x > 0 for x in steps)
    ):
        bad("step_minutes", "required; a list of the minutes of each step")
        steps = None
    elif isinstance(minutes, int) and sum(steps) != minutes:
        bad("step_minutes", f"the steps add up to {sum(steps)} minutes, the lesson takes {minutes}")
    if meta.get("topic") not in s.TOPICS:
        bad("topic", f"unknown topic {meta.get('topic')!r}")
    if meta.get("block") not in set(s.TopicBlock):
        bad("block", "required; one of " + ", ".join(s.TopicBlock))
    if not isinstance(meta.get("order"), int):
        bad("order", "required; a whole number (position in the band)")
    quiz = meta.get("quiz")
    if quiz is not None and quiz not in quizzes:
        bad("quiz", f"no quiz {quiz!r} in quizzes/quiz/")
    repeat = meta.get("repeat", fmt == s.LessonFormat.MICRO)
    if not isinstance(repeat, bool):
        bad("repeat", "true or false")
    reviewers = meta.get("reviewers", [])
    if not isinstance(reviewers, list) or not all(isinstance(r, str) and r for r in reviewers):
        bad("reviewers", "a list of names and roles")
        reviewers = []

    texts: dict[s.Lang, s.LessonText] = {}
    for lang in s.Lang:
        path = folder / f"{lang}.md"
        if not path.is_file():
            report.add(path, 1, "language", f"missing {lang} text")
            continue
        text = _load_text(path, s.Lang(lang), s.LessonFormat(fmt) if fmt else None, steps, report)
        if text is not None:
            texts[s.Lang(lang)] = text
    _check_sessions(folder, texts, report)
    if len(report.problems) > count:
        return None
    return s.Lesson(
        id=lesson_id,  # type: ignore[arg-type]
        band=s.AgeBand(band),
        format=s.LessonFormat(fmt),  # type: ignore[arg-type]
        minutes=minutes,  # type: ignore[arg-type]
        topic=meta["topic"],
        block=s.TopicBlock(meta["block"]),
        order=meta["order"],
        step_minutes=tuple(steps or ()),
        quiz=quiz,
        repeat=bool(repeat),
        reviewers=tuple(reviewers),
        texts=texts,
        folder=folder,
    )


def _check_sessions(folder: Path, texts: Mapping[s.Lang, s.LessonText], report: Report) -> None:
    """Every language has the same rounds; a second year of rounds comes whole or not at all."""
    numbers = {lang: frozenset(text.sessions) for lang, text in texts.items()}
    if len(set(numbers.values())) > 1:
        described = "; ".join(
            f"{lang}: " + (", ".join(f"round-{n}" for n in sorted(found)) or "none")
            for lang, found in numbers.items()
        )
        report.add(
            folder / "en.md", 1, "rounds", f"the languages have different rounds ({described})"
        )
        return
    found = next(iter(numbers.values()), frozenset())
    second_year = found & set(s.SECOND_YEAR_SESSIONS)
    if second_year and second_year != set(s.SECOND_YEAR_SESSIONS):
        report.add(
            folder / "en.md",
            1,
            "rounds",
            "a second year needs round-4, round-5 and round-6 together",
        )
    if second_year and not {2, 3} <= found:
        report.add(
            folder / "en.md", 1, "rounds", "round-4 to round-6 need round-2 and round-3 first"
        )


def _split_front_matter(source: str) -> tuple[str, str, int]:
    """Return (front matter, body, line where the body starts)."""
    if not source.startswith("---\n"):
        return "", source, 1
    end = source.find("\n---\n", 4)
    if end < 0:
        return "", source, 1
    front = source[4:end]
    return front, source[end + 5 :], front.count("\n") + 4


def _load_text(
    path: Path,
    lang: s.Lang,
    fmt: s.LessonFormat | None,
    steps: list[int] | None,
    report: Report,
) -> s.LessonText | None:
    source = path.read_text(encoding="utf-8")
    count = len(report.problems)
    front_text, body, body_line = _split_front_matter(source)
    if not front_text:
        report.add(
            path, 1, "front matter", "missing; start with --- title, summary, objectives ---"
        )
        return None
    try:
        front, lines = _yaml_with_lines(front_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.add(path, (mark.line + 2) if mark else 1, "front matter", str(exc).splitlines()[0])
        return None
    if not isinstance(front, dict):
        report.add(path, 1, "front matter", "must be a mapping")
        return None
    for unknown in sorted(set(front) - FRONT_FIELDS):
        report.add(path, lines.get(unknown, 0) + 1, unknown, "unknown field")
    for field in ("title", "summary"):
        if not isinstance(front.get(field), str) or not front[field].strip():
            report.add(path, lines.get(field, 0) + 1, field, "required text")
    for field in ("title", "summary"):
        if isinstance(front.get(field), str):
            _check_text(path, partial(lines.get, field, 0), field, [front[field]], report)
    objectives = front.get("objectives")
    if (
        not isinstance(objectives, list)
        or not objectives
        or not all(isinstance(o, str) and o.strip() for o in objectives)
    ):
        report.add(path, lines.get("objectives", 0) + 1, "objectives", "a list of 1 or more aims")
        objectives = []
    else:
        _check_text(path, partial(lines.get, "objectives", 0), "objectives", objectives, report)

    sections: dict[str, tuple[str, int, list[str]]] = {}
    current: str | None = None
    for offset, line in enumerate(body.splitlines()):
        number = body_line + offset
        heading = HEADING.match(line)
        if heading:
            sid = heading.group("id")
            if sid not in s.SECTION_ORDER and not s.ROUND_SECTION.match(sid):
                report.add(
                    path,
                    number,
                    "section",
                    f"unknown section id {{#{sid}}}; use one of "
                    + ", ".join(s.SECTION_ORDER)
                    + ", or round-2 to round-6 in a micro-lesson",
                )
                current = "ignored"
                sections.setdefault("ignored", ("", number, []))
                continue
            if sid in sections:
                report.add(path, number, "section", f"section {{#{sid}}} appears twice")
            sections[sid] = (heading.group("title"), number, [])
            current = sid
            continue
        if line.startswith("## ") or line.startswith("# "):
            report.add(path, number, "section", "heading without an id such as {#steps}")
            continue
        if current is not None:
            sections[current][2].append(line)
        elif line.strip():
            report.add(path, number, "section", "text before the first section")
    sections.pop("ignored", None)
    if fmt is not None:
        for required in s.REQUIRED_SECTIONS[fmt]:
            if required not in sections:
                report.add(
                    path,
                    body_line,
                    f"section {required}",
                    f"missing (a {fmt} lesson needs " + ", ".join(s.REQUIRED_SECTIONS[fmt]) + ")",
                )

    sessions: dict[int, s.Session] = {}
    for sid in [sid for sid in sections if s.ROUND_SECTION.match(sid)]:
        title, line_number, content = sections.pop(sid)
        session = _load_session(path, sid, title, line_number, content, fmt, steps, report)
        if session is not None:
            sessions[session.number] = session

    rendered: dict[str, s.Section] = {}
    for sid, (title, line_number, content) in sections.items():
        markdown_text = "\n".join(content).strip()
        if not markdown_text:
            report.add(path, line_number, f"section {sid}", "is empty")
            continue
        _check_text(path, line_number, f"section {sid}", content, report)
        raw = markdown_to_html(markdown_text)
        clean = sanitize(raw)
        if _normalise(raw) != _normalise(clean):
            report.add(
                path,
                line_number,
                f"section {sid}",
                "contains HTML that sanitising would remove; write Markdown only",
            )
        items: tuple[str, ...] = ()
        if sid == s.STEPS:
            items = tuple(sanitize(markdown_to_html(item)) for item in _list_items(content))
            if steps is not None and len(items) != len(steps):
                report.add(
                    path,
                    line_number,
                    "section steps",
                    f"{len(items)} numbered steps, but lesson.yaml step_minutes has {len(steps)}",
                )
        rendered[sid] = s.Section(sid, title, clean, items)
    if len(report.problems) > count:
        return None
    ordered = {sid: rendered[sid] for sid in s.SECTION_ORDER if sid in rendered}
    return s.LessonText(
        lang=lang,
        title=front["title"].strip(),
        summary=front["summary"].strip(),
        objectives=tuple(o.strip() for o in objectives),
        sections=ordered,
        sessions=dict(sorted(sessions.items())),
    )


def _load_session(
    path: Path,
    sid: str,
    title: str,
    line_number: int,
    content: list[str],
    fmt: s.LessonFormat | None,
    steps: list[int] | None,
    report: Report,
) -> s.Session | None:
    """A ``{#round-N}`` section: a scenario paragraph, the numbered steps, then questions."""
    field = f"section {sid}"
    if fmt is not None and fmt != s.LessonFormat.MICRO:
        report.add(path, line_number, field, f"only micro-lessons have rounds, not a {fmt} lesson")
        return None
    count = len(report.problems)
    _check_text(path, line_number, field, content, report)
    scenario: list[str] = []
    items: list[str] = []
    after: list[str] = []
    for line in content:
        if after or (
            items and line.strip() and not line[:1].isspace() and not LIST_ITEM.match(line)
        ):
            after.append(line)
        elif items or LIST_ITEM.match(line):
            items.append(line)
        else:
            scenario.append(line)
    scenario_md = "\n".join(scenario).strip()
    if not scenario_md:
        report.add(
            path, line_number, field, "starts with the scenario: a paragraph before the steps"
        )
    step_items = _list_items(items)
    if not step_items:
        report.add(path, line_number, field, "needs numbered steps, one per entry of step_minutes")
    elif steps is not None and len(step_items) != len(steps):
        report.add(
            path,
            line_number,
            field,
            f"{len(step_items)} numbered steps, but lesson.yaml step_minutes has {len(steps)}",
        )
    parts = {
        "scenario": scenario_md,
        "after": "\n".join(after).strip(),
        **{f"step {n}": item for n, item in enumerate(step_items, start=1)},
    }
    html: dict[str, str] = {}
    for name, markdown_text in parts.items():
        raw = markdown_to_html(markdown_text) if markdown_text else ""
        html[name] = sanitize(raw) if raw else ""
        if _normalise(raw) != _normalise(html[name]):
            report.add(
                path,
                line_number,
                field,
                "contains HTML that sanitising would remove; write Markdown only",
            )
    if len(report.problems) > count:
        return None
    return s.Session(
        number=int(sid.removeprefix("round-")),
        title=title,
        scenario=html["scenario"],
        steps=tuple(html[f"step {n}"] for n in range(1, len(step_items) + 1)),
        after=html["after"],
    )


def _normalise(html_text: str) -> str:
    # nh3 adds rel/target to links and may reorder attributes; compare text and tags only.
    html_text = re.sub(r'\s(rel|target)="[^"]*"', "", html_text)
    return re.sub(r"\s+", " ", html_text).replace(" />", ">").replace("/>", ">").strip()


def _list_items(lines: list[str]) -> list[str]:
    """The top-level numbered items of a Markdown list, each with its continuation lines."""
    items: list[list[str]] = []
    for line in lines:
        if LIST_ITEM.match(line):
            items.append([LIST_ITEM.sub("", line, count=1)])
        elif items:
            items[-1].append(line.strip())
    return ["\n".join(i).strip() for i in items]


def _check_text(
    path: Path, first: int | Callable[[], int], field: str, lines: list[str], report: Report
) -> None:
    """Check images, links, placeholders and help numbers in lines starting after ``first``.

    ``first`` may be a function, called only when there is a problem to report.
    """
    folder = path.parent
    sub_report = Report(report.base)
    for offset, line in enumerate(lines, start=1):
        number = offset
        for match in IMAGE.finditer(line):
            if not match.group("alt").strip():
                sub_report.add(path, number, field, "image without alt text")
            _check_target(folder, match.group("src"), path, number, field, sub_report)
        for match in LINK.finditer(line):
            _check_target(folder, match.group("href"), path, number, field, sub_report)
        for match in PLACEHOLDER.finditer(line):
            if match.group(1) not in s.HELP_PLACEHOLDERS:
                sub_report.add(
                    path,
                    number,
                    field,
                    f"unknown placeholder {{{{{match.group(1)}}}}}; use one of "
                    + ", ".join(s.HELP_PLACEHOLDERS),
                )
        stripped = PLACEHOLDER.sub("", line)
        for match in NUMBER.finditer(stripped):
            sub_report.add(
                path,
                number,
                field,
                f"help number {match.group(1)} written in the text; use a placeholder such "
                "as {{emergency}} so it follows the configuration",
            )
    if sub_report.problems:
        base = first() if callable(first) else first
        report.problems.extend(replace(p, line=base + p.line) for p in sub_report.problems)


def _check_target(
    folder: Path, target: str, path: Path, number: int, field: str, report: Report
) -> None:
    parts = urlsplit(target)
    if parts.scheme in ("http", "https", "mailto", "tel"):
        return
    if parts.scheme or not target:
        report.add(path, number, field, f"link {target!r} is not allowed")
        return
    if not (folder / parts.path).resolve().is_file() or ".." in Path(parts.path).parts:
        report.add(path, number, field, f"broken link: {target} does not exist")
