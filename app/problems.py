"""A refusal with a message in plain words for the person who made the request."""

from __future__ import annotations


class PlainProblem(Exception):
    """Answer the request with ``status`` and ``message`` (already translated)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
