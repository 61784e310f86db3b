"""A reference receiver for Qadam's aggregate packages: what the national reporting layer does.

It is written apart from Qadam's own code (PyJWT, hashlib and ``frictionless`` only), so a
package it accepts is one any receiver following the documented envelope would accept:

- ``POST /packages``, ``multipart/form-data`` with the parts ``aggregates.csv``,
  ``datapackage.json`` and ``manifest.jws``, and an ``Idempotency-Key`` header (the package id);
- the manifest's ES256 signature is checked with the key its ``kid`` names in Qadam's JWKS,
  fetched over HTTP; the manifest must name the same package id as the header, and list
  exactly the files sent, with their SHA-256 and size;
- the data package must pass ``frictionless`` validation;
- a package already stored answers 200 ``duplicate`` (same bytes) or 409 (different bytes),
  and is never stored twice.

It answers 201 when it stores a package, 400 or 422 when it refuses one (with the reason).
Tests switch it ``down`` (503 to everything) or to ``refuse`` (a 4xx of their choice).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import frictionless
import jwt
import requests
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

FILES = ("aggregates.csv", "datapackage.json", "manifest.jws")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ReportReceiver:
    def __init__(self, jwks_url: str) -> None:
        self.jwks_url = jwks_url
        self.mode = "up"  # "down": 503 to everything; "refuse": ``refuse_status``
        self.refuse_status = 422
        self.slow = 0.0  # seconds each POST takes before it is looked at
        self.posts: list[str | None] = []  # the Idempotency-Key of every POST that came
        self.stored: dict[str, dict[str, bytes]] = {}
        self._lock = threading.Lock()
        self.app = self._make_app()

    def _make_app(self) -> Flask:
        app = Flask("report_receiver")

        @app.get("/healthz")
        def healthz() -> ResponseReturnValue:
            return "ok"

        @app.post("/packages")
        def receive() -> ResponseReturnValue:
            key = request.headers.get("Idempotency-Key")
            with self._lock:
                self.posts.append(key)
            if self.mode == "down":
                return jsonify(error="down for maintenance"), 503
            if self.mode == "refuse":
                return jsonify(error="this endpoint does not take packages from you"), (
                    self.refuse_status
                )
            time.sleep(self.slow)
            try:
                return self._receive(key)
            except Refused as exc:
                return jsonify(error=exc.reason), exc.status

        return app

    def posts_for(self, package_id: str) -> int:
        return sum(1 for key in self.posts if key == package_id)

    def _receive(self, key: str | None) -> ResponseReturnValue:
        if not key:
            raise Refused(400, "no Idempotency-Key")
        files = {name: request.files[name].read() for name in FILES if name in request.files}
        if set(files) != set(FILES) or set(request.files) != set(FILES):
            raise Refused(400, f"expected the parts {', '.join(FILES)}")
        with self._lock:
            known = self.stored.get(key)
        if known is not None:
            return self._repeat(known, files)
        manifest = self.verify(files, key)
        problems = validate(files)
        if problems:
            raise Refused(422, "; ".join(problems[:5]))
        with self._lock:
            known = self.stored.setdefault(key, files)
        if known is not files:
            return self._repeat(known, files)
        return jsonify(status="stored", package_id=manifest["package_id"]), 201

    @staticmethod
    def _repeat(known: dict[str, bytes], files: dict[str, bytes]) -> ResponseReturnValue:
        if known == files:
            return jsonify(status="duplicate"), 200
        raise Refused(409, "another package already came with this Idempotency-Key")

    def verify(self, files: dict[str, bytes], key: str) -> dict[str, Any]:
        """Check the manifest's signature with Qadam's JWKS, then each file against it."""
        token = files["manifest.jws"].decode("ascii", "replace")
        try:
            header = jwt.get_unverified_header(token)
            jwks = requests.get(self.jwks_url, timeout=5).json()
            jwk = next(k for k in jwks["keys"] if k.get("kid") == header.get("kid"))
            public = jwt.PyJWK(jwk, algorithm="ES256")
            payload = json.loads(
                jwt.api_jws.decode_complete(token, public.key, algorithms=["ES256"])["payload"]
            )
        except StopIteration:
            raise Refused(400, "the manifest's key is not in Qadam's JWKS") from None
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Refused(400, f"the manifest's signature does not verify: {exc}") from exc
        if payload.get("package_id") != key:
            raise Refused(400, "the manifest is for another package than the Idempotency-Key")
        listed = {f["path"]: f for f in payload.get("files", [])}
        if set(listed) != set(files) - {"manifest.jws"}:
            raise Refused(400, "the manifest does not list the files sent")
        for name, entry in listed.items():
            content = files[name]
            if len(content) != entry["bytes"] or (
                hashlib.sha256(content).hexdigest() != entry["sha256"]
            ):
                raise Refused(400, f"{name} does not match the manifest")
        return payload


def validate(files: dict[str, bytes]) -> list[str]:
    """What ``frictionless`` finds wrong with the data package (empty when valid)."""
    folder = Path(tempfile.mkdtemp(prefix="receiver-"))
    try:
        for name in ("aggregates.csv", "datapackage.json"):
            (folder / name).write_bytes(files[name])
        report = frictionless.validate(str(folder / "datapackage.json"))
        return [f"{kind}: {note}" for kind, note in report.flatten(["type", "note"])]
    except frictionless.FrictionlessException as exc:
        return [str(exc)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
