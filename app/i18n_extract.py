"""Babel extractors (see ``babel.cfg``) that know the register functions of :mod:`app.i18n`.

A call ``you("…")``, ``lazy_you("…")`` or, in a template, ``_you("…")`` yields two catalog
entries: the plain one (the formal text) and one in the message context ``informal`` (the
сен / ты text). Everything else is extracted as Babel and Jinja do. This module is used only
by ``pybabel extract`` (``make messages``) and imports no other module of the application.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python as _extract_python
from jinja2.ext import babel_extract as _extract_jinja2

# The same name as app.i18n.INFORMAL; not imported, so that extraction needs no Flask app.
INFORMAL = "informal"
REGISTER_FUNCTIONS = frozenset({"you", "lazy_you", "_you"})

Found = tuple[int, str, Any, list[str]]


def _with_informal(found: Iterable[Found]) -> Iterator[Found]:
    """Each register call as a ``gettext`` and a ``pgettext("informal", …)`` entry."""
    for lineno, funcname, messages, comments in found:
        if funcname not in REGISTER_FUNCTIONS:
            yield lineno, funcname, messages, comments
            continue
        message = messages[0] if isinstance(messages, list | tuple) else messages
        if not isinstance(message, str):
            continue  # not a literal: nothing to extract
        yield lineno, "gettext", message, comments
        yield lineno, "pgettext", (INFORMAL, message), comments


def extract_python(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Found]:
    """Babel's Python extractor, with the register functions."""
    names = [*keywords, *REGISTER_FUNCTIONS]
    return _with_informal(_extract_python(fileobj, names, comment_tags, options))


def extract_jinja2(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Found]:
    """Jinja's extractor, with ``_you``."""
    names = [*keywords, *REGISTER_FUNCTIONS]
    return _with_informal(_extract_jinja2(fileobj, names, comment_tags, options))
