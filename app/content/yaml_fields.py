"""Reading content YAML with the line of every field, so each problem names its exact line.

Shared by the quiz and survey loaders: a file is loaded for its values with the fast (libyaml)
loader, and every field is checked with a path such as ``("questions", 2, "prompt")``. Only a
file with a problem to report is composed again for the lines of its fields, so sound content
never pays for line tracking.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from . import schema as s
from .loader import Report, check_plain_text, parse_yaml

YamlPath = tuple[str | int, ...]
BOOLEAN_ID = "YAML reads yes/no/on/off as true/false; quote the id"


def node_lines(node: yaml.Node, at: YamlPath = ()) -> dict[YamlPath, int]:
    """The 1-based line of every value in a composed YAML document, by its path."""
    lines: dict[YamlPath, int] = {at: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(node_lines(value, (*at, str(key.value))))
            lines[(*at, str(key.value))] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            lines.update(node_lines(value, (*at, index)))
    return lines


class FileReport:
    """Problems of one content file, each at the line of the field it names.

    The file's text is composed for line numbers only when the first problem asks for one.
    """

    def __init__(self, report: Report, path: Path, text: str) -> None:
        self.report, self.path, self.text = report, path, text
        self._lines: dict[YamlPath, int] | None = None

    @property
    def lines(self) -> dict[YamlPath, int]:
        """The line of every field, by its path (composed on first use)."""
        if self._lines is None:
            try:
                node = yaml.compose(self.text)
            except yaml.YAMLError:  # read by the fast parser, refused by this one: line 1
                node = None
            self._lines = node_lines(node) if node is not None else {}
        return self._lines

    def line(self, at: YamlPath) -> int:
        while at and at not in self.lines:
            at = at[:-1]
        return self.lines.get(at, 1)

    def add(self, at: YamlPath, name: str, message: str) -> None:
        self.report.add(self.path, self.line(at), name, message)


def read_yaml(path: Path, report: Report, what: str) -> tuple[dict[str, Any], FileReport] | None:
    """The file's mapping of fields and a report for it; ``None`` (reported) when unreadable."""
    text = path.read_text(encoding="utf-8")
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.add(path, (mark.line + 1) if mark else 1, "yaml", str(exc).splitlines()[0])
        return None
    if not isinstance(data, dict):  # an empty document loads as None
        report.add(path, 1, what, "must be a mapping of fields")
        return None
    return data, FileReport(report, path, text)


def choice(r: FileReport, data: Mapping[str, Any], name: str, enum: Any, default: Any) -> Any:
    """``data[name]`` as a member of ``enum``; ``default`` when absent or (reported) wrong."""
    value = data.get(name, default.value if default is not None else None)
    if value not in {m.value for m in enum}:
        shown = "required; one of" if value is None else f"{value!r} is not one of"
        r.add((name,), name, f"{shown} " + ", ".join(m.value for m in enum))
        return default
    return enum(value)


def localized(
    r: FileReport, value: Any, at: YamlPath, name: str, *, required: bool
) -> dict[str, str] | None:
    """A ``{kk, ru, en}`` map with text in every language."""
    if value is None:
        if required:
            r.add(at, name, "required; a text in each language: {kk: …, ru: …, en: …}")
        return None
    if not isinstance(value, dict):
        r.add(at, name, "must be a text in each language: {kk: …, ru: …, en: …}")
        return None
    for unknown in sorted(set(map(str, value)) - set(s.Lang)):
        r.add(
            (*at, unknown),
            f"{name}.{unknown}",
            "unknown language; use kk, ru and en (inside {…} a comma starts a new field: "
            "write each text on its own line instead)",
        )
    for lang in s.Lang:
        text = value.get(lang.value)
        if not isinstance(text, str) or not text.strip():
            r.add(at, name, f"missing {lang} text")
            continue
        for message in check_plain_text(text):
            r.add((*at, lang.value), f"{name}.{lang}", message)
    return {lang.value: str(value.get(lang.value, "")).strip() for lang in s.Lang}
