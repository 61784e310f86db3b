"""Every user-facing string is translated into Kazakh, Russian and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
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
        found = {str(m.id): str(m.id) for m in read_po(f) if m.id}
    # Guard against an extraction that silently finds nothing.
    assert "Skip to content" in found
    assert "Open Qadam" in found, "the demo platform's strings are extracted too"
    return found


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_string_is_translated(extracted: dict[str, str], lang: str) -> None:
    with (ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    missing = [m for m in extracted if not (catalog.get(m) and catalog.get(m).string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, (
        f"{lang}: untranslated strings (run make messages and translate):\n" + "\n".join(missing)
    )
    assert not fuzzy, f"{lang}: fuzzy translations to review: {fuzzy}"
    for msgid in extracted:
        assert set(PLACEHOLDER.findall(catalog.get(msgid).string)) == set(
            PLACEHOLDER.findall(msgid)
        ), f"{lang}: placeholders differ in {msgid!r}"
