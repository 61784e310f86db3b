"""Which language a page speaks (the person's choice, the launch's locale, or Russian), and
in which register it addresses the reader.

**Register.** Kazakh and Russian address a child with сен / ты and an older student or an
adult with сіз / вы, as the lessons do. Text that addresses the reader goes through
:func:`you` (``_you`` in templates) instead of ``gettext``: the catalog's plain entry is the
formal text (сіз / вы), and an entry with the message context ``informal`` holds the сен / ты
text (English holds the same text twice). Students of a preschool, primary or basic class
(up to grade 9) read the informal text; students of grades 10-11 and colleges, teachers,
coordinators, and anyone whose class band is not known (a class whose teacher has not chosen
its age group, a page opened without a launch) read the formal one: сіз / вы is never rude to
anyone, while сен / ты would be to an adult. The register comes only from the launch (the
role and the class's band recorded with it), never from the request.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request, session
from flask_babel import LazyString, get_locale, get_translations
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup

from .content.schema import AgeBand
from .services.actors import Actor, ActorRole

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
# Some platforms say "kz" for Kazakh.
_ALIASES = {"kz": "kk"}
FALLBACK = "ru"


def normalize_locale(value: str | None) -> str | None:
    """Return ``kk``, ``ru`` or ``en`` for a locale such as ``ru``, ``kk_KZ`` or ``en-US``."""
    if not value or not isinstance(value, str):
        return None
    lang = value.strip().replace("-", "_").split("_")[0].lower()
    lang = _ALIASES.get(lang, lang)
    return lang if lang in LANGUAGE_NAMES else None


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    for candidate in (session.get("lang"), g.get("launch_locale")):
        lang = normalize_locale(candidate)
        if lang:
            return lang
    best = request.accept_languages.best_match(current_app.config["LANGUAGES"]) if request else None
    return best or FALLBACK


# The message context of the сен / ты variant of a text.
INFORMAL = "informal"
# Bands whose students are addressed with сен / ты: up to grade 9.
INFORMAL_BANDS = frozenset({AgeBand.PRESCHOOL, AgeBand.PRIMARY, AgeBand.BASIC})


def is_informal(actor: Actor | None) -> bool:
    """Whether ``actor`` is addressed with сен / ты: a student of a class up to grade 9."""
    return actor is not None and actor.role is ActorRole.STUDENT and actor.band in INFORMAL_BANDS


def _translated(message: str) -> str:
    """``message`` in the page's language and the reader's register, not yet formatted."""
    translations = get_translations()
    if has_request_context() and is_informal(g.get("actor")):
        informal = translations.upgettext(INFORMAL, message)
        # A missing informal entry falls back to the formal text, never to English.
        if informal != message:
            return informal
    return translations.ugettext(message)


def you(message: str, **variables: Any) -> str:
    """``gettext`` for text that addresses the reader, in the reader's register."""
    text = _translated(message)
    return text % variables if variables else text


def lazy_you(message: str, **variables: Any) -> LazyString:
    """Like :func:`you`, translated when used (form labels made at import)."""
    return LazyString(you, message, **variables)


@pass_eval_context
def template_you(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    """``_you`` in templates: like Jinja's ``_`` (the translation is trusted, the values
    escaped), in the reader's register."""
    text = _translated(message)
    if eval_ctx.autoescape:
        return Markup(text) % variables  # noqa: S704 - a translation from our catalogs
    return text % variables


def template_globals() -> dict[str, Any]:
    return {"LANGUAGE_NAMES": LANGUAGE_NAMES, "get_locale": get_locale, "_you": template_you}
