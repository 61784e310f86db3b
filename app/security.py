"""Response headers: who may frame Qadam (the registered platforms) and what pages may load."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from .services.platforms import platform_origins

ORIGINS_TTL = 60.0
# A web origin as lti.HttpUrl writes it; nothing else may reach the header.
_ORIGIN = re.compile(r"https?://(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


class _OriginCache:
    """Platform origins, re-read from the database at most once a minute per process."""

    def __init__(self) -> None:
        self.value: list[str] = []
        self.read_at = float("-inf")

    def get(self) -> list[str]:
        if time.monotonic() - self.read_at > ORIGINS_TTL:
            self.value = platform_origins()
            self.read_at = time.monotonic()
        return self.value

    def clear(self) -> None:
        self.read_at = float("-inf")


def allow_frame_ancestor(origin: str) -> None:
    """Let ``origin`` frame this one response (a Moodle that is registering Qadam)."""
    if not _ORIGIN.fullmatch(origin):
        raise ValueError(f"not a web origin: {origin!r}")
    extra = g.setdefault("extra_frame_ancestors", [])
    if origin not in extra:
        extra.append(origin)


def content_security_policy(platforms: list[str], extra_framers: Sequence[str] = ()) -> str:
    senders = " ".join(["'self'", *platforms])
    framers = " ".join(["'self'", *platforms, *(o for o in extra_framers if o not in platforms)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {senders}",
            f"frame-ancestors {framers}",
        ]
    )


def _set_headers(response: Response) -> Response:
    if request.endpoint == "static" or response.mimetype == "application/json":
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
    origins: list[str] = []
    try:
        origins = current_app.extensions["qadam_origins"].get()
    except SQLAlchemyError:  # a database outage must not hide the real response
        current_app.logger.exception("could not read platform origins")
    response.headers["Content-Security-Policy"] = content_security_policy(
        origins, g.get("extra_frame_ancestors", ())
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def init_app(app: Flask) -> None:
    app.extensions["qadam_origins"] = _OriginCache()
    app.after_request(_set_headers)
