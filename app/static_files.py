"""Static files cached for a year by browsers, with the content hash in every URL.

A school on a slow connection downloads the stylesheet and scripts once; a new release
changes their hash, so nobody keeps an old copy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask

ONE_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder or "")
    versions: dict[str, str] = {}

    def version(filename: str) -> str:
        if filename not in versions:
            path = folder / filename
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""
            versions[filename] = digest
        return versions[filename]

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            tag = version(values["filename"])
            if tag:
                values["v"] = tag

    # Flask's own default (no caching) is replaced; an explicit setting is kept.
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR
