from __future__ import annotations

import pytest

from app.i18n import normalize_locale


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ru", "ru"),
        ("kk", "kk"),
        ("en", "en"),
        ("kk_KZ", "kk"),
        ("ru-RU", "ru"),
        ("EN_us", "en"),
        ("kz", "kk"),
        ("pt_br", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_locale(value: str | None, expected: str | None) -> None:
    assert normalize_locale(value) == expected
