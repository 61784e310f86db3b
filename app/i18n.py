"""Which language a page speaks: the person's choice, the launch's locale, or Russian."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request, session
from flask_babel import get_locale

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


def template_globals() -> dict[str, Any]:
    return {"LANGUAGE_NAMES": LANGUAGE_NAMES, "get_locale": get_locale}
