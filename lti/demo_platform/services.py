"""The demo platform's LTI Advantage services: OAuth2 tokens, a gradebook (AGS) and the
course roster (NRPS). Kept in memory: the demo runs in one process and forgets on restart."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Blueprint, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale

from .. import claims as c
from .users import COURSE_ID, DemoUser

TOKEN_LIFETIME = 3600
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SERVICE_SCOPES = frozenset({*(s.value for s in c.AgsScope), c.NRPS_SCOPE})


@dataclass
class Gradebook:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    line_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def add_service_routes(
    bp: Blueprint,
    *,
    issuer: str,
    client_id: str,
    tool_jwks_url: str,
    users: dict[str, DemoUser],
) -> Gradebook:
    book = Gradebook()
    token_url = issuer + "/token"

    def require(*scopes: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with book.lock:
            granted = book.tokens.get(token)
        if granted is None or granted[1] < time.time():
            abort(401)
        if not granted[0] & set(scopes):
            abort(403)

    @bp.post("/token")
    def token() -> ResponseReturnValue:
        """Client credentials with the tool's signed assertion, checked against its JWKS."""
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return jsonify(error="unsupported_grant_type"), 400
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return jsonify(error="invalid_request"), 400
        assertion = form.get("client_assertion", "")
        try:
            key = jwt.PyJWKClient(tool_jwks_url).get_signing_key_from_jwt(assertion)
            claims = jwt.decode(
                assertion, key.key, algorithms=["RS256"], audience=token_url, issuer=client_id
            )
        except jwt.PyJWTError as exc:
            return jsonify(error="invalid_client", error_description=str(exc)), 401
        if claims.get("sub") != client_id:
            return jsonify(error="invalid_client"), 401
        scopes = frozenset(form.get("scope", "").split()) & SERVICE_SCOPES
        access = secrets.token_urlsafe(24)
        with book.lock:
            book.tokens[access] = (scopes, time.time() + TOKEN_LIFETIME)
        return jsonify(
            access_token=access,
            token_type="Bearer",  # noqa: S106 - the OAuth2 token type, not a secret
            expires_in=TOKEN_LIFETIME,
            scope=" ".join(sorted(scopes)),
        )

    @bp.route("/lineitems", methods=["GET", "POST"])
    def line_items() -> ResponseReturnValue:
        if request.method == "GET":
            require(c.AgsScope.LINEITEM, c.AgsScope.LINEITEM_READONLY)
            link = request.args.get("resource_link_id")
            with book.lock:
                found = [
                    item
                    for item in book.line_items.values()
                    if link is None or item.get("resourceLinkId") == link
                ]
            return jsonify(found)
        require(c.AgsScope.LINEITEM)
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not body.get("label") or not body.get("scoreMaximum"):
            return jsonify(error="a line item needs label and scoreMaximum"), 400
        with book.lock:
            item_id = f"{issuer}/lineitems/{len(book.line_items) + 1}"
            item = {**body, "id": item_id}
            book.line_items[item_id] = item
        return jsonify(item), 201

    @bp.post("/lineitems/<int:number>/scores")
    def scores(number: int) -> ResponseReturnValue:
        require(c.AgsScope.SCORE)
        item_id = f"{issuer}/lineitems/{number}"
        body = request.get_json(force=True, silent=True)
        if item_id not in book.line_items:
            abort(404)
        if not isinstance(body, dict) or "userId" not in body or "timestamp" not in body:
            return jsonify(error="a score needs userId and timestamp"), 400
        with book.lock:
            book.scores.setdefault(item_id, []).append(body)
        return "", 204

    @bp.get("/memberships")
    def memberships() -> ResponseReturnValue:
        require(c.NRPS_SCOPE)
        return jsonify(
            id=request.url,
            context={"id": COURSE_ID},
            members=[
                {"user_id": u.sub, "name": u.name, "roles": list(u.roles), "status": "Active"}
                for u in users.values()
            ],
        )

    @bp.get("/gradebook")
    def gradebook() -> ResponseReturnValue:
        lang = request.args.get("lang", "ru")
        names = {u.sub: u.name for u in users.values()}
        with book.lock:
            columns = [
                (item, _latest_by_user(book.scores.get(item_id, [])))
                for item_id, item in book.line_items.items()
            ]
        with force_locale(lang if lang in ("kk", "ru", "en") else "ru"):
            return render_template("demo/gradebook.html", columns=columns, names=names, lang=lang)

    return book


def _latest_by_user(scores: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Like a gradebook: for each student, the score with the latest timestamp."""
    latest: dict[str, dict[str, Any]] = {}
    for score in scores:
        user = score["userId"]
        if user not in latest or score["timestamp"] >= latest[user]["timestamp"]:
            latest[user] = score
    return latest
