"""How survey results read on pages and in exports: why a cell is not shown, and what kind of
result an indicator is, in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TOO_FEW = _l("Not shown: too few answers to protect anonymity")
STATUS_MESSAGES = {
    "below_gate": TOO_FEW,
    "suppressed_primary": TOO_FEW,
    "suppressed_secondary": _l(
        "Not shown: hidden as well, so that other hidden numbers cannot be worked out"
    ),
}
REPORTED_AS = {
    "prevalence": _l("Students who said so"),
    "climate": _l("Class climate (not a bullying rate)"),
    "observation": _l("The teacher's own observations"),
}


def status_message(status: str) -> str:
    """The plain-language reason a cell is not shown ("" for a shown cell)."""
    message = STATUS_MESSAGES.get(status)
    return str(message) if message is not None else ""
