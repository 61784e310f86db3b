"""The application with one extra route, ``POST /bench/bare``: the bare Flask POST that the
quiz benchmark measures against, served by the same gunicorn workers as the quiz."""

from __future__ import annotations

from flask import Flask

from app import create_app
from app.extensions import csrf


def create_app_with_bare_post() -> Flask:
    app = create_app()

    @app.post("/bench/bare")
    @csrf.exempt
    def bare_post() -> tuple[str, int]:
        return "", 204

    return app
