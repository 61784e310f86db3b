"""Markdown to safe HTML: Python-Markdown, then nh3 (the Ammonia sanitizer)."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Mapping

import markdown
import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "blockquote",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "code",
    "span",
    "abbr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


_converters = threading.local()


def markdown_to_html(text: str) -> str:
    """Render Markdown without sanitising (the loader compares this with the clean result)."""
    # Building a converter (loading its extensions) costs more than converting a section, so
    # each thread keeps one and resets it between texts.
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = markdown.Markdown(extensions=["sane_lists", "tables"], output_format="html")
        _converters.markdown = converter
    return str(converter.reset().convert(text))


def sanitize(raw_html: str) -> str:
    """Keep only harmless HTML; links open safely in a new tab, without a referrer."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def render(text: str) -> str:
    """Markdown to sanitised HTML."""
    return sanitize(markdown_to_html(text))


def fill_placeholders(text: str, values: Mapping[str, str], *, escape: bool = True) -> str:
    """Put configured values (help numbers, centre name) in place of ``{{name}}``.

    With ``escape``, the values are HTML-escaped (for sanitised HTML); without, the text is
    plain and the template escapes it.
    """

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1), match.group(0))
        return html.escape(found, quote=False) if escape else found

    return PLACEHOLDER.sub(value, text)
