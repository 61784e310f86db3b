"""The simulated platform's LTI Advantage services, shaped like Moodle's: an OAuth2 token
endpoint that checks the tool's signed assertion against the tool's real key set, line items
and scores (AGS), and the course roster (NRPS). Failures can be switched on to test retries.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
from werkzeug import Request, Response

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@dataclass
class Member:
    user_id: str
    name: str
    role: str = "Learner"


@dataclass
class PlatformServices:
    """Token, line item, score and membership endpoints on a pytest-httpserver."""

    httpserver: Any
    prefix: str
    client_id: str
    tool_jwks: Callable[[], dict[str, Any]]
    course: str = "2"
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, set[str]] = field(default_factory=dict)
    token_requests: int = 0
    line_items: dict[int, dict[str, Any]] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    roster: list[Member] = field(default_factory=list)
    # Switches: answer every call with 503 (down), or every score with this 4xx, or the next
    # N service calls (not the token endpoint) with 401 as if their token had been revoked.
    down: bool = False
    reject_scores: int | None = None
    # Seconds every call takes: a slow platform.
    slow: float = 0.0
    unauthorized_next: int = 0
    unauthorized_answers: int = 0
    # The roster's "next page" link, to test where the tool follows it.
    roster_next: str | None = None

    def __post_init__(self) -> None:
        self.httpserver.expect_request(
            re.compile(re.escape(self.prefix) + r"/.*")
        ).respond_with_handler(self._handle)
        self.line_items[1] = {
            "id": self.lineitem_url(1),
            "label": "Quiz",
            "scoreMaximum": 100,
            "resourceLinkId": "2",
        }

    # -- URLs as Moodle shapes them ------------------------------------------------------

    def url(self, path: str) -> str:
        return self.httpserver.url_for(self.prefix + path)

    @property
    def token_url(self) -> str:
        return self.url("/mod/lti/token.php")

    @property
    def lineitems_url(self) -> str:
        return self.url(f"/mod/lti/services.php/{self.course}/lineitems") + "?type_id=1"

    def lineitem_url(self, number: int) -> str:
        return (
            self.url(f"/mod/lti/services.php/{self.course}/lineitems/{number}/lineitem")
            + "?type_id=1"
        )

    @property
    def memberships_url(self) -> str:
        return self.url(f"/mod/lti/services.php/CourseSection/{self.course}/bindings/1/memberships")

    def revoke_tokens(self) -> None:
        """Forget every token issued so far: calls with them get 401."""
        with self.lock:
            self.tokens.clear()

    def scores_for(self, user_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [s for s in self.scores if s["userId"] == user_id]

    # -- the handler -----------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        path = request.path[len(self.prefix) :]
        if self.slow:
            time.sleep(self.slow)
        if self.down:
            return Response("Service Unavailable", status=503)
        if path == "/mod/lti/token.php" and request.method == "POST":
            return self._token(request)
        granted = self._granted(request)
        with self.lock:
            refuse = granted is None or self.unauthorized_next > 0
            self.unauthorized_next = max(0, self.unauthorized_next - 1)
            self.unauthorized_answers += int(refuse)
        if refuse or granted is None:
            return _json({"error": "invalid token"}, 401)
        services = f"/mod/lti/services.php/{self.course}"
        if path == services + "/lineitems":
            if request.method == "GET" and granted & {LINEITEM, LINEITEM_READONLY}:
                with self.lock:
                    items = list(self.line_items.values())
                return _json(items, 200, "application/vnd.ims.lis.v2.lineitemcontainer+json")
            if request.method == "POST" and LINEITEM in granted:
                return self._create_line_item(request)
            return _json({"error": "not allowed"}, 403)
        found = re.fullmatch(re.escape(services) + r"/lineitems/(\d+)/lineitem(/scores)?", path)
        if found and found.group(2) and request.method == "POST":
            if SCORE not in granted:
                return _json({"error": "scope"}, 403)
            return self._score(int(found.group(1)), request)
        if path.endswith("/memberships") and NRPS in granted:
            return self._memberships()
        return _json({"error": "not found"}, 404)

    def _token(self, request: Request) -> Response:
        form = request.form
        with self.lock:
            self.token_requests += 1
        if form.get("grant_type") != "client_credentials" or (
            form.get("client_assertion_type") != ASSERTION_TYPE
        ):
            return _json({"error": "invalid_request"}, 400)
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            keys = {k["kid"]: k for k in self.tool_jwks()["keys"]}
            key = jwt.PyJWK(keys[header["kid"]]).key
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS256"],
                audience=self.token_url,
                issuer=self.client_id,
            )
        except (jwt.PyJWTError, KeyError) as exc:
            return _json({"error": "invalid_client", "error_description": repr(exc)}, 401)
        if claims.get("sub") != self.client_id or not claims.get("jti"):
            return _json({"error": "invalid_client"}, 401)
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = set(form.get("scope", "").split())
        return _json({"access_token": token, "token_type": "Bearer", "expires_in": 3600}, 200)

    def _granted(self, request: Request) -> set[str] | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            return self.tokens.get(token)

    def _create_line_item(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        if not body.get("label") or not body.get("scoreMaximum"):
            return _json({"error": "label and scoreMaximum required"}, 400)
        with self.lock:
            number = max(self.line_items, default=0) + 1
            item = {**body, "id": self.lineitem_url(number)}
            self.line_items[number] = item
        return _json(item, 201, "application/vnd.ims.lis.v2.lineitem+json")

    def _score(self, number: int, request: Request) -> Response:
        if self.reject_scores is not None:
            return _json({"error": "The user is not enrolled in this course"}, self.reject_scores)
        if number not in self.line_items:
            return _json({"error": "no such line item"}, 404)
        if request.content_type != "application/vnd.ims.lis.v1.score+json":
            return _json({"error": "wrong content type"}, 415)
        body = json.loads(request.get_data() or b"{}")
        for required in ("userId", "scoreGiven", "scoreMaximum", "timestamp", "activityProgress"):
            if required not in body:
                return _json({"error": f"{required} missing"}, 400)
        with self.lock:
            self.scores.append({**body, "lineitem": number, "received": time.time()})
        return Response(status=204)

    def _memberships(self) -> Response:
        members = [
            {
                "user_id": m.user_id,
                "name": m.name,
                "roles": [LIS + "membership#" + m.role],
                "status": "Active",
            }
            for m in self.roster
        ]
        response = _json(
            {"id": self.memberships_url, "context": {"id": self.course}, "members": members},
            200,
            "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
        )
        if self.roster_next:
            response.headers["Link"] = f'<{self.roster_next}>; rel="next"'
        return response


def _json(body: Any, status: int, content_type: str = "application/json") -> Response:
    return Response(json.dumps(body), status=status, content_type=content_type)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(url.partition("?")[2])
