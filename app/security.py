"""Response headers: who may frame Qadam (the registered platforms) and what pages may load."""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from .services.platforms import platform_origins

ORIGINS_TTL = 60.0


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


def content_security_policy(platforms: list[str]) -> str:
    framers = " ".join(["'self'", *platforms])
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
            f"form-action {framers}",
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
    response.headers["Content-Security-Policy"] = content_security_policy(origins)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def init_app(app: Flask) -> None:
    app.extensions["qadam_origins"] = _OriginCache()
    app.after_request(_set_headers)
