"""A Moodle-shaped LTI 1.3 platform for tests: its own RSA key and JWKS, Moodle's claim set.

It drives the real OIDC flow against the tool through a Flask test client (or any HTTP
client): login initiation → the tool's redirect to the platform → a signed id_token posted
to the tool's launch URL. Claims come from the Moodle payload samples in fixtures/moodle.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from .platform_services import PlatformServices

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "moodle"
ISSUER = "https://moodle.school.example.kz"
CLIENT_ID = "a1B2c3D4e5F6g7H"
DEPLOYMENT_ID = "1"
MSG = "https://purl.imsglobal.org/spec/lti/claim/message_type"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


def _no_tool_jwks() -> dict[str, Any]:
    raise AssertionError("give the simulator tool_jwks to use its services")


ROLE_SETS = {
    "instructor": [LIS + "membership#Instructor"],
    "learner": [LIS + "membership#Learner"],
    "admin": [
        LIS + "institution/person#Administrator",
        LIS + "membership#Instructor",
        LIS + "system/person#Administrator",
    ],
    "mentor": [LIS + "membership#Mentor"],
}


@cache
def _sample_text(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def moodle_claims(name: str) -> dict[str, Any]:
    """A fresh copy of one of Moodle's sample claim sets (the file is read once)."""
    return json.loads(_sample_text(name))


class SigningKey:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_pem = public_pem
        jwk = JWK.from_pem(public_pem)
        self.kid = "sim-" + jwk.thumbprint()[:16]
        self.jwk = {
            **json.loads(jwk.export_public()),
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        }


class PlatformSimulator:
    """One platform registration: issuer + client id + deployment, key, JWKS on an HTTP server."""

    def __init__(
        self,
        httpserver: Any,
        *,
        issuer: str = ISSUER,
        client_id: str = CLIENT_ID,
        deployment_id: str = DEPLOYMENT_ID,
        tool_base: str = "http://qadam.test",
        tool_jwks: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.httpserver = httpserver
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.tool_base = tool_base
        self.keys = [SigningKey()]
        self.jwks_path = f"/{uuid.uuid4().hex[:8]}/mod/lti/certs.php"
        self.jwks_fetches = 0
        httpserver.expect_request(self.jwks_path).respond_with_handler(self._serve_jwks)
        self.services = PlatformServices(
            httpserver,
            prefix=self.jwks_path.split("/mod/")[0],
            client_id=client_id,
            tool_jwks=tool_jwks or _no_tool_jwks,
        )

    # -- the platform's public side ------------------------------------------------------

    @property
    def key(self) -> SigningKey:
        return self.keys[-1]

    @property
    def jwks_url(self) -> str:
        return self.httpserver.url_for(self.jwks_path)

    @property
    def auth_login_url(self) -> str:
        return self.issuer + "/mod/lti/auth.php"

    @property
    def token_url(self) -> str:
        return self.services.token_url

    def _serve_jwks(self, request: Any) -> Any:
        from werkzeug import Response

        self.jwks_fetches += 1
        body = {"keys": [k.jwk for k in self.keys]}
        return Response(json.dumps(body), content_type="application/json")

    def rotate_key(self) -> SigningKey:
        self.keys.append(SigningKey())
        return self.key

    def registration_spec(self) -> Any:
        from app.services.platforms import PlatformSpec

        return PlatformSpec(
            issuer=self.issuer,
            client_id=self.client_id,
            auth_login_url=self.auth_login_url,
            auth_token_url=self.token_url,
            jwks_url=self.jwks_url,
            name="School Moodle",
        )

    def register(self, deployments: tuple[str, ...] | None = None) -> None:
        """Register this platform with the tool (inside an app context)."""
        from app.services.platforms import save_platform

        save_platform(self.registration_spec(), deployments or (self.deployment_id,))

    # -- building and signing id_tokens --------------------------------------------------

    def claims(
        self,
        role: str = "instructor",
        *,
        nonce: str,
        locale: str | None = None,
        message: str = "resource",
        sub: str | None = None,
        custom: dict[str, str] | None = None,
        ags: str | None = "lineitems",
        resource_link: str | None = None,
        context: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Moodle's claims; ``ags`` is "lineitem" (the link has a gradebook column),
        "lineitems" (the tool may create one) or None (no grading service)."""
        sample = (
            "deep_linking_request_claims"
            if message == "deep"
            else ("launch_learner_claims" if role == "learner" else "launch_instructor_claims")
        )
        body = moodle_claims(sample)
        now = int(time.time())
        body.update(
            iss=self.issuer,
            aud=self.client_id,
            azp=self.client_id,
            nonce=nonce,
            iat=now,
            exp=now + 60,
        )
        body["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = self.deployment_id
        body["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"] = (
            self.tool_base + "/lti/launch"
        )
        body[ROLES] = list(ROLE_SETS[role])
        if locale is not None:
            body[PRESENTATION]["locale"] = locale
        if sub is not None:
            body["sub"] = sub
        if custom is not None:
            body[CUSTOM] = custom
        if resource_link is not None:
            body[RESOURCE_LINK] = {"id": resource_link, "title": "Quiz"}
        if context is not None:
            body["https://purl.imsglobal.org/spec/lti/claim/context"] = context
        if message != "deep":
            if ags is None:
                body.pop(AGS, None)
            else:
                body[AGS] = {
                    "scope": list(body[AGS]["scope"]),
                    "lineitems": self.services.lineitems_url,
                }
                if ags == "lineitem":
                    body[AGS]["lineitem"] = self.services.lineitem_url(1)
            body[NRPS] = {
                "context_memberships_url": self.services.memberships_url,
                "service_versions": ["1.0", "2.0"],
            }
        return body

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | None = None,
        alg: str = "RS256",
        headers: dict[str, Any] | None = None,
    ) -> str:
        key = key or self.key
        head = {"kid": key.kid, **(headers or {})}
        return jwt.encode(claims, key.private, algorithm=alg, headers=head)

    # -- the OIDC flow --------------------------------------------------------------------

    def login_params(self, message_hint: str = "42") -> dict[str, str]:
        """What Moodle posts to the tool's login initiation URL."""
        return {
            "iss": self.issuer,
            "target_link_uri": self.tool_base + "/lti/launch",
            "login_hint": "3",
            "lti_message_hint": message_hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }

    def login(self, client: Any, **overrides: str) -> Any:
        return client.post("/lti/login", data={**self.login_params(), **overrides})

    @staticmethod
    def auth_request(login_response: Any) -> dict[str, str]:
        """The parameters of the tool's redirect to the platform's authorization endpoint."""
        assert login_response.status_code == 302, login_response.get_data(as_text=True)[:500]
        query = parse_qs(urlsplit(login_response.headers["Location"]).query)
        return {k: v[0] for k, v in query.items()}

    def launch(
        self,
        client: Any,
        role: str = "instructor",
        *,
        locale: str | None = None,
        message: str = "resource",
        mutate: Callable[[dict[str, Any]], None] | None = None,
        token: Callable[[dict[str, Any]], str] | None = None,
        state: str | None = None,
        sub: str | None = None,
        custom: dict[str, str] | None = None,
        ags: str | None = "lineitems",
        resource_link: str | None = None,
        context: dict[str, str] | None = None,
    ) -> Any:
        """Run login and launch; return the tool's answer to the launch POST."""
        auth = self.auth_request(self.login(client))
        assert auth["redirect_uri"] == self.tool_base + "/lti/launch"
        assert auth["client_id"] == self.client_id
        claims = self.claims(
            role,
            nonce=auth["nonce"],
            locale=locale,
            message=message,
            sub=sub,
            custom=custom,
            ags=ags,
            resource_link=resource_link,
            context=context,
        )
        if mutate is not None:
            mutate(claims)
        id_token = token(claims) if token is not None else self.sign(claims)
        return client.post(
            "/lti/launch",
            data={"id_token": id_token, "state": auth["state"] if state is None else state},
        )
