"""The signed cookie session, with the work Flask repeats on every request done once.

Flask builds a new signing serializer for each request (and serialises an empty dict to
probe it), and encodes the session with a tagged JSON that walks every value. Qadam's session
holds only JSON values (strings, numbers, mappings of them), so plain compact JSON reads and
writes the same cookies, and one serializer per secret key serves every request. Signing,
the lifetime check on the cookie and everything else stay Flask's own.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class _CompactJSON:
    """The session's payload as compact JSON (what Flask's tagged JSON writes for it too)."""

    @staticmethod
    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def loads(value: str | bytes) -> Any:
        return json.loads(value)


class CookieSessionInterface(SecureCookieSessionInterface):
    serializer = _CompactJSON()  # type: ignore[assignment]

    def __init__(self) -> None:
        self._signers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = super().get_signing_serializer(app)
            if signer is None:
                return None
            self._signers = {keys: signer}  # a changed key replaces the old one
        return signer
