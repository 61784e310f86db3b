"""The lesson filters shared by the catalog and the deep-linking picker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, request
from flask_babel import get_locale

from ..content import Lang
from ..lesson_labels import BAND_NAMES, FORMAT_NAMES, TOPIC_NAMES


@dataclass(frozen=True)
class LessonFilters:
    band: str | None
    format: str | None
    topic: str | None
    lang: str

    def selection(self) -> dict[str, Any]:
        """Keyword arguments for ``Catalog.select``."""
        return {"band": self.band, "format": self.format, "topic": self.topic}


def read_filters(default_band: str | None) -> LessonFilters:
    """The filters of the request (query or form); 400 for a value Qadam does not know."""
    values = request.values
    band = values.get("band", default_band) or None
    fmt = values.get("format") or None
    topic = values.get("topic") or None
    lang = values.get("lang") or str(get_locale())
    if (
        band not in (None, *BAND_NAMES)
        or fmt not in (None, *FORMAT_NAMES)
        or topic not in (None, *TOPIC_NAMES)
        or lang not in set(Lang)
    ):
        abort(400)
    return LessonFilters(band=band, format=fmt, topic=topic, lang=lang)


def labels() -> dict[str, Any]:
    return {"band_names": BAND_NAMES, "format_names": FORMAT_NAMES, "topic_names": TOPIC_NAMES}
