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


def test_every_topic_has_a_name_people_read() -> None:
    from app.content.schema import TOPICS
    from app.lesson_labels import TOPIC_NAMES

    assert set(TOPIC_NAMES) == set(TOPICS)
