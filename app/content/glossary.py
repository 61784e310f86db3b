"""The terminology glossary (``lessons/GLOSSARY.yaml``) and the check for its banned variants.

Every lesson, quiz and survey uses one word per meaning; a banned variant found in a
language's texts is reported as ``path:line: glossary <term>: …`` naming the preferred word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import schema as s
from .loader import FAST_LOADER, KEBAB, ContentProblem, Report, parse_yaml
from .survey_schema import AgeGroup

TERM_FIELDS = {"id", "meaning", "kk", "ru", "en", "banned", "bands"}
LANGS = tuple(lang.value for lang in s.Lang)
QUIZ_BAND = re.compile(r"^band:\s*([a-z]+)\s*$", re.M)


@dataclass(frozen=True)
class Ban:
    term: str
    lang: str
    pattern: re.Pattern[str]
    preferred: str
    bands: frozenset[str]  # empty: every band


@dataclass(frozen=True)
class Glossary:
    bans: tuple[Ban, ...]

    def bans_for(self, lang: str, band: str | None) -> list[Ban]:
        return [
            b
            for b in self.bans
            if b.lang == lang and (not b.bands or band is None or band in b.bands)
        ]


def _line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): v for k, v in node.value}


def load_glossary(path: Path, report: Report) -> Glossary:
    """Read the glossary; add each problem of its format to ``report`` at its line."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except OSError:
        report.add(path, 1, "glossary", "missing; the content check needs lessons/GLOSSARY.yaml")
        return Glossary(())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.add(path, (mark.line + 1) if mark else 1, "yaml", str(exc).splitlines()[0])
        return Glossary(())
    terms = _mapping(root).get("terms") if root is not None else None
    if not isinstance(terms, yaml.SequenceNode):
        report.add(path, 1, "terms", "required; a list of terms (id, meaning, kk, ru, en, banned)")
        return Glossary(())
    bans: list[Ban] = []
    seen: set[str] = set()
    for index, node in enumerate(terms.value):
        bans += _term(path, index, node, seen, report)
    return Glossary(tuple(bans))


def _term(path: Path, index: int, node: yaml.Node, seen: set[str], report: Report) -> list[Ban]:
    fields = _mapping(node)
    name = f"terms[{index + 1}]"
    if not fields:
        report.add(path, _line_of(node), name, "a term is a mapping: id, meaning, kk, ru, en")
        return []
    term_id = _text(fields.get("id"))
    if term_id is None or not KEBAB.match(term_id):
        report.add(path, _line_of(node), f"{name}: id", "required; a kebab-case name")
        return []
    name = f"term {term_id}"
    for unknown in sorted(set(fields) - TERM_FIELDS):
        report.add(path, _line_of(fields[unknown]), f"{name}: {unknown}", "unknown field")
    if term_id in seen:
        report.add(path, _line_of(fields["id"]), name, "the same id as an earlier term")
    seen.add(term_id)
    for field in ("meaning", *LANGS):
        if not _text(fields.get(field)):
            report.add(path, _line_of(node), f"{name}: {field}", "required text")
    bands = _bands(path, name, fields.get("bands"), report)
    banned = fields.get("banned")
    if banned is None:
        return []
    if not isinstance(banned, yaml.MappingNode):
        report.add(path, _line_of(banned), f"{name}: banned", "a map of language: [regex, …]")
        return []
    found: list[Ban] = []
    for lang, patterns in _mapping(banned).items():
        where = f"{name}: banned.{lang}"
        if lang not in LANGS:
            report.add(path, _line_of(patterns), where, "unknown language; use kk, ru or en")
            continue
        items = patterns.value if isinstance(patterns, yaml.SequenceNode) else None
        if not items:
            report.add(path, _line_of(patterns), where, "a list of regular expressions")
            continue
        for item in items:
            pattern = _pattern(path, where, item, report)
            if pattern is not None:
                preferred = _text(fields.get(lang)) or ""
                found.append(Ban(term_id, lang, pattern, preferred, bands))
    return found


def _text(node: yaml.Node | None) -> str | None:
    if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) and node.value.strip():
        return node.value.strip()
    return None


def _bands(path: Path, name: str, node: yaml.Node | None, report: Report) -> frozenset[str]:
    if node is None:
        return frozenset()
    values = [_text(n) for n in node.value] if isinstance(node, yaml.SequenceNode) else []
    if not values or not all(v in set(s.AgeBand) for v in values):
        report.add(
            path, _line_of(node), f"{name}: bands", "a list of bands: " + ", ".join(s.AgeBand)
        )
        return frozenset()
    return frozenset(str(v) for v in values)


def _pattern(path: Path, where: str, node: yaml.Node, report: Report) -> re.Pattern[str] | None:
    text = _text(node)
    if text is None:
        report.add(path, _line_of(node), where, "a regular expression as text")
        return None
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        report.add(path, _line_of(node), where, f"not a valid regular expression: {exc}")
        return None


# -- the check ----------------------------------------------------------------------------------


def _message(ban: Ban, found: str) -> str:
    return f"{found!r} is not the glossary's word here; write «{ban.preferred}»"


def _scan_line(ban_list: list[Ban], text: str) -> Iterator[tuple[Ban, str]]:
    """Each term's first banned match in ``text`` (one problem per term and line is enough)."""
    reported: set[str] = set()
    for ban in ban_list:
        match = ban.pattern.search(text)
        if match is not None and ban.term not in reported:
            reported.add(ban.term)
            yield ban, _whole_words(text, match.start(), match.end())


def _whole_words(text: str, start: int, end: int) -> str:
    """The match widened to whole words, so the message quotes what the author wrote."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]


def check_lessons(lessons_dir: Path, glossary: Glossary, report: Report) -> None:
    """Report banned variants in every lesson's Markdown (by its language) and lesson.yaml."""
    for band_dir in sorted(p for p in lessons_dir.iterdir() if p.is_dir()):
        band = band_dir.name
        for folder in sorted(p for p in band_dir.iterdir() if p.is_dir()):
            for lang in LANGS:
                _check_file(folder / f"{lang}.md", glossary.bans_for(lang, band), report)
            every = [b for lang in LANGS for b in glossary.bans_for(lang, band)]
            _check_file(folder / "lesson.yaml", every, report)


def _check_file(path: Path, bans: list[Ban], report: Report) -> None:
    if not path.is_file() or not bans:
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for ban, found in _scan_line(bans, line):
            report.add(path, number, f"glossary {ban.term}", _message(ban, found))


def check_quizzes(quizzes_dir: Path, glossary: Glossary, report: Report) -> None:
    """Report banned variants in quiz strings: each ``kk:``/``ru:``/``en:`` text by its language."""
    for path in sorted((quizzes_dir / "quiz").glob("*.yaml")):
        source = path.read_text(encoding="utf-8")
        try:
            root = yaml.compose(source, Loader=FAST_LOADER)  # same nodes and marks, faster
        except yaml.YAMLError:
            continue  # the quiz loader reports it
        band = QUIZ_BAND.search(source)
        for lang, node in _texts(root):
            bans = glossary.bans_for(lang, band.group(1) if band else None)
            for ban, found in _scan_line(bans, node.value):
                report.add(
                    path,
                    _line_in(source, node, found),
                    f"glossary {ban.term}",
                    _message(ban, found),
                )


def check_surveys(quizzes_dir: Path, glossary: Glossary, report: Report) -> None:
    """Report banned variants in survey strings, with the bans of the bands of its age groups."""
    for path in sorted((quizzes_dir / "survey").glob("*.yaml")):
        source = path.read_text(encoding="utf-8")
        try:
            root, data = yaml.compose(source, Loader=FAST_LOADER), parse_yaml(source)
        except yaml.YAMLError:
            continue  # the survey loader reports it
        bands = _survey_bands(data)
        for lang, node in _texts(root):
            bans = _unique(b for band in bands for b in glossary.bans_for(lang, band))
            for ban, found in _scan_line(bans, node.value):
                report.add(
                    path,
                    _line_in(source, node, found),
                    f"glossary {ban.term}",
                    _message(ban, found),
                )


def _survey_bands(data: object) -> list[str | None]:
    """The lesson bands of a survey's age groups; ``[None]`` (every band) when unknown."""
    groups = data.get("age_groups") if isinstance(data, dict) else None
    known = {g.value for g in AgeGroup}
    bands = {AgeGroup(g).band.value for g in groups or [] if isinstance(g, str) and g in known}
    found: list[str | None] = [*sorted(bands)]
    return found or [None]


def _unique(bans: Iterator[Ban]) -> list[Ban]:
    found: list[Ban] = []
    for ban in bans:
        if ban not in found:
            found.append(ban)
    return found


def _texts(node: yaml.Node | None) -> Iterator[tuple[str, yaml.ScalarNode]]:
    """Every ``lang: text`` pair in a composed YAML document."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value in LANGS and isinstance(value, yaml.ScalarNode):
                yield str(key.value), value
            else:
                yield from _texts(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _texts(item)


def _line_in(source: str, node: yaml.Node, found: str) -> int:
    """The line of ``found`` inside a (possibly multi-line) scalar."""
    raw = source[node.start_mark.index : node.end_mark.index]
    first_word = found.split()[0] if found.split() else found
    at = raw.casefold().find(first_word.casefold())
    return node.start_mark.line + 1 + (raw[:at].count("\n") if at >= 0 else 0)


def glossary_problems(root: Path) -> list[ContentProblem]:
    """Every problem of ``root/lessons/GLOSSARY.yaml`` and every banned variant in the content."""
    report = Report(root)
    glossary = load_glossary(root / "lessons" / "GLOSSARY.yaml", report)
    if root.joinpath("lessons").is_dir():
        check_lessons(root / "lessons", glossary, report)
    if root.joinpath("quizzes").is_dir():
        check_quizzes(root / "quizzes", glossary, report)
        check_surveys(root / "quizzes", glossary, report)
    return report.problems
