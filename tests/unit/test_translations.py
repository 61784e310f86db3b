"""Every user-facing string is translated into Kazakh, Russian and English."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as f:
        # Plural entries have a (singular, plural) id; the catalog is keyed by the singular.
        # Text in the reader's register has a second entry, in the context "informal".
        found = {
            (m.id[0] if isinstance(m.id, tuple) else m.id, m.context): m.id
            for m in read_po(f)
            if m.id
        }
    # Guard against an extraction that silently finds nothing.
    assert ("Skip to content", None) in found
    assert ("Open Qadam", None) in found, "the demo platform's strings are extracted too"
    assert ("Need help or feel unsafe?", "informal") in found, "and the informal variants"
    return found


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_string_is_translated(extracted: dict[str, Any], lang: str) -> None:
    with (ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    missing = [
        f"{key} ({context})" if context else key
        for key, context in extracted
        if not (catalog.get(key, context) and catalog.get(key, context).string)
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, (
        f"{lang}: untranslated strings (run make messages and translate):\n" + "\n".join(missing)
    )
    assert not fuzzy, f"{lang}: fuzzy translations to review: {fuzzy}"
    for (key, context), msgid in extracted.items():
        source = " ".join(msgid) if isinstance(msgid, tuple) else msgid
        translations = catalog.get(key, context).string
        for text in translations if isinstance(translations, tuple) else (translations,):
            assert text, f"{lang}: a plural form of {key!r} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), (
                f"{lang}: placeholders differ in {key!r}"
            )
