"""Help contacts from configuration, put into lesson text in place of ``{{placeholders}}``."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

from .content.quiz_schema import pick
from .content.render import fill_placeholders

_CONFIG_KEYS = {
    "contact_centre": "QADAM_HELP_CONTACT_CENTRE",
    "centre_name": "QADAM_HELP_CENTRE_NAME",
    "child_line": "QADAM_HELP_CHILD_LINE",
    "emergency": "QADAM_HELP_EMERGENCY",
    "fire": "QADAM_HELP_FIRE",
    "police": "QADAM_HELP_POLICE",
    "ambulance": "QADAM_HELP_AMBULANCE",
    "gas": "QADAM_HELP_GAS",
}


def help_values() -> dict[str, str]:
    return {name: str(current_app.config[key]) for name, key in _CONFIG_KEYS.items()}


def with_contacts(lesson_html: str) -> Markup:
    """Sanitised lesson HTML with the configured help numbers filled in (a Jinja filter)."""
    return Markup(fill_placeholders(lesson_html, help_values()))  # noqa: S704 - sanitised by nh3


def text_with_contacts(plain: str) -> str:
    """Plain text (titles, objectives) with the help numbers filled in; escaped by Jinja."""
    return fill_placeholders(plain, help_values(), escape=False)


def localized_with_contacts(text: Mapping[str, str] | None) -> str:
    """A ``{kk, ru, en}`` text in the page's language, help numbers filled in (plain text)."""
    return text_with_contacts(pick(text, str(get_locale())))
