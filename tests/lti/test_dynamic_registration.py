"""LTI Dynamic Registration against a simulated Moodle (openid-configuration + registration)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug import Request, Response

from app.extensions import db
from app.models import Platform
from tests.support.platform_simulator import PlatformSimulator

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input [^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html))


class SimulatedMoodle:
    """Serves Moodle's openid-configuration and registration endpoint, as Moodle checks them."""

    def __init__(
        self, httpserver: Any, *, refuse: tuple[int, dict[str, str]] | None = None
    ) -> None:
        self.httpserver = httpserver
        self.issuer = httpserver.url_for("/moodle").rstrip("/")
        self.config_url = self.issuer + "/mod/lti/openid-configuration.php"
        self.registrations: list[dict[str, Any]] = []
        self.refuse = refuse
        self.simulator = PlatformSimulator(
            httpserver, issuer=self.issuer, client_id="dyn-client-1", deployment_id="3"
        )
        config = json.loads(
            json.dumps(moodle_config()).replace("https://moodle.school.example.kz", self.issuer)
        )
        config["jwks_uri"] = self.simulator.jwks_url
        self.config = config
        httpserver.expect_request("/moodle/mod/lti/openid-configuration.php").respond_with_json(
            config
        )
        httpserver.expect_request(
            "/moodle/mod/lti/openid-registration.php", method="POST"
        ).respond_with_handler(self._register)

    def _register(self, request: Request) -> Response:
        body = request.get_json()
        self.registrations.append({"body": body, "auth": request.headers.get("Authorization")})
        if self.refuse:
            status, error = self.refuse
            return Response(json.dumps(error), status=status, content_type="application/json")
        tool = body.get(TOOL_CONFIG, {})
        # What Moodle refuses with HTTP 400:
        if not body.get("client_name") or not body.get("jwks_uri"):
            return Response('{"error":"invalid_client_metadata"}', status=400)
        if urlsplit(tool.get("target_link_uri", "")).netloc != tool.get("domain"):
            return Response('{"error":"invalid_client_metadata"}', status=400)
        answer = dict(body)
        answer["client_id"] = "dyn-client-1"
        answer[TOOL_CONFIG] = {**tool, "deployment_id": "3"}
        return Response(json.dumps(answer), content_type="application/json")


def moodle_config() -> dict[str, Any]:
    from tests.support.platform_simulator import FIXTURES

    return json.loads((FIXTURES / "openid_configuration.json").read_text())


def start(client: Any, moodle: SimulatedMoodle, token: str = "reg-token-1") -> Any:
    return client.get(
        "/lti/register",
        query_string={"openid_configuration": moodle.config_url, "registration_token": token},
    )


def test_registration_confirmed_by_admin_then_launch_works(
    app: Any, client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(httpserver)
    page = start(client, moodle)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert moodle.issuer in html
    assert not moodle.registrations, "nothing is registered before the admin confirms"

    done = client.post("/lti/register", data=hidden_fields(html))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "dyn-client-1" in done.get_data(as_text=True)
    assert "registration-done.js" in done.get_data(as_text=True)

    sent = moodle.registrations[0]
    assert sent["auth"] == "Bearer reg-token-1"
    body = sent["body"]
    assert body["client_name"] == "Qadam"
    assert body["jwks_uri"] == "http://qadam.test/lti/jwks"
    assert body["initiate_login_uri"] == "http://qadam.test/lti/login"
    assert body["redirect_uris"] == ["http://qadam.test/lti/launch"]
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body[TOOL_CONFIG]["domain"] == "qadam.test"
    assert body[TOOL_CONFIG]["claims"] == ["iss", "sub"]
    assert {m["type"] for m in body[TOOL_CONFIG]["messages"]} == {
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in body["scope"]

    with app.app_context():
        platform = db.session.query(Platform).one()
        assert platform.issuer == moodle.issuer
        assert platform.client_id == "dyn-client-1"
        assert [d.deployment_id for d in platform.deployments] == ["3"]
        assert platform.registered_by == "dynamic"
        assert platform.auth_login_url == moodle.issuer + "/mod/lti/auth.php"

    response = moodle.simulator.launch(app.test_client(), "learner", locale="kk")
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] == "/student"


def test_completed_registration_cannot_be_replayed(client: Any, httpserver: Any) -> None:
    moodle = SimulatedMoodle(httpserver)
    fields = hidden_fields(start(client, moodle).get_data(as_text=True))
    assert client.post("/lti/register", data=fields).status_code == 200
    again = client.post("/lti/register", data=fields)
    assert again.status_code == 400
    assert "expired or was already completed" in again.get_data(as_text=True)
    assert len(moodle.registrations) == 1


def test_platform_refusing_the_registration_is_explained(client: Any, httpserver: Any) -> None:
    moodle = SimulatedMoodle(
        httpserver,
        refuse=(
            400,
            {"error": "invalid_client_metadata", "error_description": "Tool already exists"},
        ),
    )
    fields = hidden_fields(start(client, moodle).get_data(as_text=True))
    response = client.post("/lti/register", data=fields)
    assert response.status_code == 502
    text = response.get_data(as_text=True)
    assert "refused the registration (HTTP 400)" in text
    assert "refused" in text
    assert "Tool already exists" in text


def test_confirmation_needs_the_csrf_token(client: Any, httpserver: Any) -> None:
    moodle = SimulatedMoodle(httpserver)
    fields = hidden_fields(start(client, moodle).get_data(as_text=True))
    fields.pop("csrf_token")
    response = client.post("/lti/register", data=fields)
    assert response.status_code == 400
    assert not moodle.registrations


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/moodle/missing.php", 502, "answered HTTP 404"),
        ("/elsewhere/mod/lti/openid-configuration.php", 400, "not where it was served"),
        ("/moodle/not-json", 502, "not a JSON document"),
    ],
)
def test_bad_platform_configuration_is_explained(
    client: Any, httpserver: Any, path: str, status: int, words: str
) -> None:
    moodle = SimulatedMoodle(httpserver)
    httpserver.expect_request("/elsewhere/mod/lti/openid-configuration.php").respond_with_json(
        moodle.config
    )
    httpserver.expect_request("/moodle/not-json").respond_with_data("<html>")
    httpserver.expect_request("/moodle/missing.php").respond_with_data("", status=404)
    url = httpserver.url_for(path)
    response = client.get("/lti/register", query_string={"openid_configuration": url})
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_registration_page_without_parameters_tells_how_to_use_it(client: Any) -> None:
    response = client.get("/lti/register")
    assert response.status_code == 400
    assert "Add LTI Advantage" in response.get_data(as_text=True)


def test_unreachable_platform_is_a_502(client: Any) -> None:
    response = client.get(
        "/lti/register", query_string={"openid_configuration": "http://127.0.0.1:9/config"}
    )
    assert response.status_code == 502
    assert "could not reach the platform" in response.get_data(as_text=True)


def test_allowed_hosts_limit_registrations(make_app: Any, httpserver: Any) -> None:
    app = make_app(QADAM_REGISTRATION_ALLOWED_HOSTS=("moodle.school.kz",))
    moodle = SimulatedMoodle(httpserver)
    response = start(app.test_client(), moodle)
    assert response.status_code == 403
    assert "does not accept registrations from localhost" in response.get_data(as_text=True)
