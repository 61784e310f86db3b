"""The demo platform's pages and OIDC endpoints."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import claims as c
from ..keys import GeneratedKey, generate_signing_key, key_set, public_jwk
from .services import add_service_routes
from .users import COURSE_ID, COURSE_LABEL, demo_users

LANGS = ("kk", "ru", "en")
TOKEN_LIFETIME = 60  # as Moodle's


@dataclass(frozen=True)
class DemoSettings:
    issuer: str
    client_id: str
    deployment_id: str
    key_path: Path
    tool_login_url: str
    tool_launch_url: str
    tool_jwks_url: str
    # The lesson of the demo course's quiz activity (custom parameter lesson=…).
    quiz_lesson: str = "basic-cyberbullying-what-to-do"


def load_key(path: Path) -> GeneratedKey:
    """Read the demo platform's key, creating it on first use (safe with several workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(50):
            pem = path.read_text()
            if pem.strip().endswith("-----"):
                break
            time.sleep(0.1)
    else:
        with os.fdopen(fd, "w") as f:
            f.write(generate_signing_key().private_pem)
        pem = path.read_text()
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(pem.encode(), password=None)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    jwk = public_jwk(public_pem)
    return GeneratedKey(jwk["kid"], pem, public_pem, jwk)


def _lang(value: str | None) -> str:
    return value if value in LANGS else "ru"


def create_blueprint(settings: DemoSettings) -> Blueprint:
    """The demo platform as a blueprint, to mount at ``/demo``."""
    bp = Blueprint("demo", __name__, template_folder="templates")
    users = demo_users()
    key = load_key(settings.key_path)
    add_service_routes(
        bp,
        issuer=settings.issuer,
        client_id=settings.client_id,
        tool_jwks_url=settings.tool_jwks_url,
        users=users,
    )

    @bp.get("")
    def index() -> ResponseReturnValue:
        lang = _lang(request.args.get("lang"))
        with force_locale(lang):
            return render_template(
                "demo/index.html",
                users=users,
                lang=lang,
                langs=LANGS,
                quiz_lesson=settings.quiz_lesson,
            )

    @bp.get("/start/<user_key>")
    def start(user_key: str) -> ResponseReturnValue:
        """Like Moodle's launch.php: post a third-party login initiation to the tool."""
        user = users.get(user_key) or abort(404)
        lang = _lang(request.args.get("lang"))
        kind = request.args.get("kind")
        kind = kind if kind in ("deep", "quiz") else "resource"
        fields = {
            "iss": settings.issuer,
            "target_link_uri": settings.tool_launch_url,
            "login_hint": user.sub,
            "lti_message_hint": f"{kind}:{lang}",
            "client_id": settings.client_id,
            "lti_deployment_id": settings.deployment_id,
        }
        with force_locale(lang):
            return render_template(
                "demo/autopost.html", action=settings.tool_login_url, fields=fields, lang=lang
            )

    @bp.route("/auth", methods=["GET", "POST"])
    def auth() -> ResponseReturnValue:
        """The OIDC authorization endpoint: answers with a signed id_token posted to the tool."""
        params = request.values
        problems = []
        if params.get("scope") != "openid":
            problems.append("scope must be openid")
        if params.get("response_type") != "id_token":
            problems.append("response_type must be id_token")
        if params.get("client_id") != settings.client_id:
            problems.append("unknown client_id")
        if params.get("redirect_uri") != settings.tool_launch_url:
            problems.append("redirect_uri is not the registered launch URL")
        if not params.get("nonce"):
            problems.append("nonce missing")
        user = next((u for u in users.values() if u.sub == params.get("login_hint")), None)
        if user is None:
            problems.append("login_hint is not a demo user")
        kind, _sep, lang = (params.get("lti_message_hint") or "resource:ru").partition(":")
        lang = _lang(lang)
        if problems or user is None:
            return render_template("demo/error.html", problems=problems), 400
        with force_locale(lang):
            claims = _claims(settings, user, kind, lang, str(params["nonce"]))
            token = jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
            return render_template(
                "demo/autopost.html",
                action=settings.tool_launch_url,
                fields={"id_token": token, "state": params.get("state", "")},
                lang=lang,
            )

    @bp.get("/jwks")
    def jwks() -> ResponseReturnValue:
        return key_set([key.public_jwk])

    @bp.post("/deep-link-return")
    def deep_link_return() -> ResponseReturnValue:
        """Where the tool returns chosen content; verified against the tool's JWKS."""
        token = request.form.get("JWT", "")
        lang = _lang(request.args.get("lang"))
        try:
            signing_key = jwt.PyJWKClient(settings.tool_jwks_url).get_signing_key_from_jwt(token)
            message = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                audience=settings.issuer,
                issuer=settings.client_id,
            )
        except jwt.PyJWTError as exc:
            with force_locale(lang):
                return render_template("demo/error.html", problems=[str(exc)]), 400
        items = message.get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items") or []
        with force_locale(lang):
            return render_template("demo/deep_link_done.html", items=items, lang=lang)

    return bp


def _claims(settings: DemoSettings, user: Any, kind: str, lang: str, nonce: str) -> dict[str, Any]:
    now = int(time.time())
    deep = kind == "deep"
    body: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.client_id,
        "azp": settings.client_id,
        "sub": user.sub,
        "nonce": nonce,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "name": user.name,
        c.MESSAGE_TYPE: (c.MessageType.DEEP_LINKING if deep else c.MessageType.RESOURCE_LINK).value,
        c.VERSION: "1.3.0",
        c.DEPLOYMENT_ID: settings.deployment_id,
        c.TARGET_LINK_URI: settings.tool_launch_url,
        c.ROLES: list(user.roles),
        c.CONTEXT: {
            "id": COURSE_ID,
            "type": ["CourseSection"],
            "title": _("Grade 7A · Personal safety (demo)"),
            "label": COURSE_LABEL,
        },
        c.LAUNCH_PRESENTATION: {
            "locale": lang,
            "document_target": "iframe",
            "return_url": f"{settings.issuer}?lang={lang}",
        },
        c.TOOL_PLATFORM: {
            "family_code": "moodle",
            "guid": "qadam-demo",
            "name": _("Qadam demo platform"),
        },
        c.EXT: {"user_username": user.key, "lms": "moodle-2"},
        c.CUSTOM: dict(user.custom),
    }
    if deep:
        body[c.DEEP_LINKING_SETTINGS] = {
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["frame", "iframe", "window"],
            "accept_multiple": True,
            "auto_create": False,
            "title": "Qadam",
            "deep_link_return_url": f"{settings.issuer}/deep-link-return?lang={lang}",
            "data": "demo-" + uuid.uuid4().hex[:8],
        }
    else:
        quiz = kind == "quiz"
        body[c.RESOURCE_LINK] = (
            {"id": "demo-link-quiz", "title": _("Quiz: cyberbullying")}
            if quiz
            else {"id": "demo-link-1", "title": "Qadam"}
        )
        if quiz:
            body[c.CUSTOM] = {**body[c.CUSTOM], "lesson": settings.quiz_lesson}
        body[c.AGS_ENDPOINT] = {
            "scope": [
                c.AgsScope.LINEITEM.value,
                c.AgsScope.LINEITEM_READONLY.value,
                c.AgsScope.RESULT_READONLY.value,
                c.AgsScope.SCORE.value,
            ],
            "lineitems": f"{settings.issuer}/lineitems",
        }
        body[c.NRPS_SERVICE] = {
            "context_memberships_url": f"{settings.issuer}/memberships",
            "service_versions": ["2.0"],
        }
    return body
