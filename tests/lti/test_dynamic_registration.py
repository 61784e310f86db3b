"""LTI Dynamic Registration against a simulated Moodle (openid-configuration + registration)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug import Request, Response

from app.extensions import db
from app.models import LtiStoreEntry, Platform
from app.services import registration_invites
from app.services.platforms import PlatformSpec, save_platform
from tests.support.platform_simulator import PlatformSimulator

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input [^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html))


def form_action(html: str) -> str:
    return re.search(r'<form method="post" action="([^"]+)"', html).group(1)


class SimulatedMoodle:
    """Serves Moodle's openid-configuration and registration endpoint, as Moodle checks them."""

    def __init__(
        self,
        httpserver: Any,
        *,
        refuse: tuple[int, dict[str, str]] | None = None,
        on_register: Any = None,
    ) -> None:
        self.httpserver = httpserver
        self.issuer = httpserver.url_for("/moodle").rstrip("/")
        self.config_url = self.issuer + "/mod/lti/openid-configuration.php"
        self.registrations: list[dict[str, Any]] = []
        self.refuse = refuse
        self.on_register = on_register
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
        if self.on_register:
            self.on_register()
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


def invite(app: Any, hours: int = 24, note: str = "") -> str:
    """A registration invitation, as ``flask platform invite`` makes it; return its token."""
    from datetime import timedelta

    with app.app_context():
        token, _ = registration_invites.create_invite(timedelta(hours=hours), note)
    return token


def start(client: Any, moodle: SimulatedMoodle, token: str, reg_token: str = "reg-token-1") -> Any:
    return client.get(
        f"/lti/register/{token}",
        query_string={"openid_configuration": moodle.config_url, "registration_token": reg_token},
    )


def confirm(client: Any, page: Any) -> Any:
    html = page.get_data(as_text=True)
    return client.post(form_action(html), data=hidden_fields(html))


def frame_ancestors(response: Any) -> str:
    csp = response.headers["Content-Security-Policy"]
    return next(d for d in csp.split("; ") if d.startswith("frame-ancestors"))


def platform_rows(app: Any) -> list[tuple[Any, ...]]:
    """Every stored platform with what a launch trusts, to show nothing changed."""
    with app.app_context():
        return [
            (
                p.issuer,
                p.client_id,
                p.auth_login_url,
                p.auth_token_url,
                p.jwks_url,
                p.key_set,
                p.registered_by,
                tuple(d.deployment_id for d in p.deployments),
            )
            for p in db.session.query(Platform).order_by(Platform.id)
        ]


def open_invite_ids(app: Any) -> list[str]:
    with app.app_context():
        return [i.id for i in registration_invites.open_invites()]


# -- the registration an administrator makes -------------------------------------------


def test_registration_confirmed_by_admin_then_launch_works(
    app: Any, client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(httpserver)
    token = invite(app, note="School No. 7, Astana")
    page = start(client, moodle, token)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert moodle.issuer in html
    assert "School No. 7, Astana" in html
    assert not moodle.registrations, "nothing is registered before the admin confirms"

    done = confirm(client, page)
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
    assert open_invite_ids(app) == [], "the invitation is used up"

    response = moodle.simulator.launch(app.test_client(), "learner", locale="kk")
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] == "/student"


def test_moodle_may_frame_the_registration_pages_and_no_other_page(
    app: Any, client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(httpserver)
    origin = "http://" + urlsplit(moodle.issuer).netloc
    page = start(client, moodle, invite(app))
    assert origin in frame_ancestors(page).split()
    form_action_sources = page.headers["Content-Security-Policy"].split("form-action")[1]
    assert origin not in form_action_sources.split(";")[0]
    done = confirm(client, page)
    assert done.status_code == 200
    assert origin in frame_ancestors(done).split()


def test_a_normal_page_is_not_framed_by_an_unregistered_moodle(
    app: Any, client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(httpserver)
    origin = "http://" + urlsplit(moodle.issuer).netloc
    assert start(client, moodle, invite(app)).status_code == 200
    assert origin not in client.get("/").headers["Content-Security-Policy"]


def test_completed_registration_cannot_be_replayed(app: Any, client: Any, httpserver: Any) -> None:
    moodle = SimulatedMoodle(httpserver)
    page = start(client, moodle, invite(app))
    html = page.get_data(as_text=True)
    assert confirm(client, page).status_code == 200
    again = client.post(form_action(html), data=hidden_fields(html))
    assert again.status_code == 403
    assert "already used" in again.get_data(as_text=True)
    assert len(moodle.registrations) == 1


def test_an_invitation_works_once(app: Any, client: Any, httpserver: Any) -> None:
    moodle = SimulatedMoodle(httpserver)
    token = invite(app)
    assert confirm(client, start(client, moodle, token)).status_code == 200
    fetched = len(httpserver.log)
    second = start(client, moodle, token)
    assert second.status_code == 403
    assert "was already used" in second.get_data(as_text=True)
    assert len(httpserver.log) == fetched, "a used invitation fetches nothing"


def test_two_confirmations_of_one_invitation_register_once(
    app: Any, client: Any, httpserver: Any
) -> None:
    token = invite(app)
    answers: list[Any] = []
    other = app.test_client()

    def confirm_again_while_the_first_is_under_way() -> None:
        if not answers:
            answers.append(confirm(other, other_page))

    moodle = SimulatedMoodle(httpserver, on_register=confirm_again_while_the_first_is_under_way)
    first_page = start(client, moodle, token)
    other_page = start(other, moodle, token)
    assert confirm(client, first_page).status_code == 200
    assert answers[0].status_code == 403
    assert len(moodle.registrations) == 1
    assert len(platform_rows(app)) == 1


def test_a_refusing_platform_does_not_use_up_the_invitation(
    app: Any, client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(
        httpserver,
        refuse=(
            400,
            {"error": "invalid_client_metadata", "error_description": "Tool already exists"},
        ),
    )
    token = invite(app)
    response = confirm(client, start(client, moodle, token))
    assert response.status_code == 502
    text = response.get_data(as_text=True)
    assert "refused the registration (HTTP 400)" in text
    assert "Tool already exists" in text
    assert len(open_invite_ids(app)) == 1, "the admin can try again"
    moodle.refuse = None
    assert confirm(client, start(client, moodle, token)).status_code == 200
    assert open_invite_ids(app) == []


def test_confirmation_needs_the_csrf_token(app: Any, client: Any, httpserver: Any) -> None:
    moodle = SimulatedMoodle(httpserver)
    html = start(client, moodle, invite(app)).get_data(as_text=True)
    fields = hidden_fields(html)
    fields.pop("csrf_token")
    response = client.post(form_action(html), data=fields)
    assert response.status_code == 400
    assert not moodle.registrations


# -- without a valid invitation nothing is fetched -------------------------------------


def test_registration_without_invitation_explains_and_fetches_nothing(
    client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(httpserver)
    for response in (
        client.get("/lti/register"),
        client.get("/lti/register", query_string={"openid_configuration": moodle.config_url}),
        client.post("/lti/register", data={"pending": "x"}),
    ):
        assert response.status_code == 403
        assert "needs an invitation" in response.get_data(as_text=True)
        assert "Add LTI Advantage" in response.get_data(as_text=True)
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("lang", "words"),
    [("kk", "Бұл тіркеу мекенжайы жұмыс істемейді"), ("ru", "Этот адрес регистрации не работает")],
)
def test_refused_invitation_is_explained_in_the_browser_language(
    client: Any, httpserver: Any, lang: str, words: str
) -> None:
    moodle = SimulatedMoodle(httpserver)
    response = client.get(
        "/lti/register/not-an-invitation",
        query_string={"openid_configuration": moodle.config_url},
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 403
    assert f'lang="{lang}"' in response.get_data(as_text=True)
    assert words in response.get_data(as_text=True)
    assert httpserver.log == []


def test_expired_invitation_is_refused_before_any_request(
    app: Any, client: Any, httpserver: Any
) -> None:
    from datetime import timedelta

    from app.models.base import utcnow

    moodle = SimulatedMoodle(httpserver)
    token = invite(app)
    with app.app_context():
        db.session.query(LtiStoreEntry).filter(
            LtiStoreEntry.key.startswith(registration_invites.KEY_PREFIX)
        ).update({"expires_at": utcnow() - timedelta(seconds=1)})
        db.session.commit()
    response = start(client, moodle, token)
    assert response.status_code == 403
    assert "has expired" in response.get_data(as_text=True)
    assert httpserver.log == []


def test_revoked_invitation_is_refused_before_any_request(
    app: Any, client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(httpserver)
    token = invite(app)
    [invite_id] = open_invite_ids(app)
    result = app.test_cli_runner().invoke(args=["platform", "revoke-invite", invite_id])
    assert result.exit_code == 0, result.output
    response = start(client, moodle, token)
    assert response.status_code == 403
    assert httpserver.log == []


def test_invitation_checked_again_when_confirming(app: Any, client: Any, httpserver: Any) -> None:
    moodle = SimulatedMoodle(httpserver)
    token = invite(app)
    page = start(client, moodle, token)
    [invite_id] = open_invite_ids(app)
    app.test_cli_runner().invoke(args=["platform", "revoke-invite", invite_id])
    fetched = len(httpserver.log)
    response = confirm(client, page)
    assert response.status_code == 403
    assert not moodle.registrations
    assert len(httpserver.log) == fetched


# -- the takeover of a registered platform ---------------------------------------------


VICTIM = "http://moodle.school.example.kz"


def hostile_configuration(httpserver: Any, issuer: str, client_id: str) -> dict[str, Any]:
    """An openid-configuration naming ``issuer`` and answering registration as ``client_id``."""
    config = json.loads(
        json.dumps(moodle_config()).replace("https://moodle.school.example.kz", issuer)
    )
    config["jwks_uri"] = httpserver.url_for("/attacker/certs")
    config["authorization_endpoint"] = httpserver.url_for("/attacker/auth")
    config["token_endpoint"] = httpserver.url_for("/attacker/token")
    config["registration_endpoint"] = httpserver.url_for("/attacker/register")
    httpserver.expect_request("/cfg").respond_with_json(config)
    httpserver.expect_request("/moodle/cfg").respond_with_json(config)
    httpserver.expect_request("/moodle-evil/cfg").respond_with_json(config)
    httpserver.expect_request("/attacker/register", method="POST").respond_with_json(
        {"client_id": client_id, TOOL_CONFIG: {"deployment_id": "666"}}
    )
    return config


def register_victim(app: Any, issuer: str, client_id: str) -> None:
    with app.app_context():
        save_platform(
            PlatformSpec(
                issuer=issuer,
                client_id=client_id,
                auth_login_url=issuer + "/mod/lti/auth.php",
                auth_token_url=issuer + "/mod/lti/token.php",
                jwks_url=issuer + "/mod/lti/certs.php",
            ),
            ["1"],
        )


def attack_url(httpserver: Any, path: str = "/cfg") -> str:
    return f"http://moodle.school.example.kz@127.0.0.1:{httpserver.port}{path}"


def test_takeover_without_invitation_is_refused_and_fetches_nothing(
    app: Any, client: Any, httpserver: Any
) -> None:
    register_victim(app, VICTIM, "victim-client")
    hostile_configuration(httpserver, VICTIM, "victim-client")
    before = platform_rows(app)
    url = attack_url(httpserver)
    query = {"openid_configuration": url, "registration_token": "x"}
    assert client.get("/lti/register", query_string=query).status_code == 403
    assert client.get("/lti/register/guessed", query_string=query).status_code == 403
    assert client.post("/lti/register", data={"pending": "x"}).status_code == 403
    assert client.post("/lti/register/guessed", data={"pending": "x"}).status_code in (400, 403)
    assert httpserver.log == [], "the hostile server saw no request"
    assert platform_rows(app) == before


def test_takeover_with_an_invitation_is_refused_for_the_user_part(
    app: Any, client: Any, httpserver: Any
) -> None:
    register_victim(app, VICTIM, "victim-client")
    hostile_configuration(httpserver, VICTIM, "victim-client")
    before = platform_rows(app)
    response = client.get(
        f"/lti/register/{invite(app)}",
        query_string={"openid_configuration": attack_url(httpserver)},
    )
    assert response.status_code == 400
    assert "user name or password" in response.get_data(as_text=True)
    assert httpserver.log == []
    assert platform_rows(app) == before
    assert len(open_invite_ids(app)) == 1


def test_registration_never_changes_a_registered_platform(
    app: Any, client: Any, httpserver: Any
) -> None:
    issuer = httpserver.url_for("/moodle").rstrip("/")
    register_victim(app, issuer, "victim-client")
    hostile_configuration(httpserver, issuer, "victim-client")
    before = platform_rows(app)
    token = invite(app)
    page = client.get(
        f"/lti/register/{token}",
        query_string={"openid_configuration": issuer + "/cfg"},
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    response = confirm(client, page)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "already registered" in text
    assert "--replace" in text
    assert platform_rows(app) == before
    assert len(open_invite_ids(app)) == 1, "a refused registration leaves the invitation"


@pytest.mark.parametrize(
    ("issuer", "served_at"),
    [
        # path boundary: /moodle does not own /moodle-evil
        ("http://localhost:{port}/moodle", "/moodle-evil/cfg"),
        # another port on the same host is another site, even one whose digits start the port
        ("http://localhost:{port_prefix}", "/cfg"),
        ("http://localhost:{other_port}", "/cfg"),
        # another scheme
        ("https://localhost:{port}", "/cfg"),
        # another host
        ("http://localhost.evil:{port}", "/cfg"),
    ],
)
def test_configuration_must_come_from_the_issuers_own_site(
    app: Any, client: Any, httpserver: Any, issuer: str, served_at: str
) -> None:
    port = httpserver.port
    issuer = issuer.format(port=port, port_prefix=str(port)[:2], other_port=port ^ 1)
    hostile_configuration(httpserver, issuer, "new-client")
    response = client.get(
        f"/lti/register/{invite(app)}",
        query_string={"openid_configuration": f"http://localhost:{httpserver.port}{served_at}"},
    )
    assert response.status_code == 400
    assert "not where it was served" in response.get_data(as_text=True)
    assert platform_rows(app) == []


def test_issuer_host_and_default_port_are_compared_normalised() -> None:
    import lti

    class Served:
        def get(self, url: str, **kwargs: Any) -> Any:
            from requests.models import Response as RequestsResponse

            config = moodle_config()
            config["issuer"] = "https://Moodle.School.Example.KZ/moodle/"
            answer = RequestsResponse()
            answer.status_code = 200
            answer._content = json.dumps(config).encode()
            return answer

    config = lti.fetch_platform_configuration(
        "https://moodle.school.example.kz:443/moodle/mod/lti/openid-configuration.php",
        session=Served(),  # type: ignore[arg-type]
    )
    assert config.issuer == "https://Moodle.School.Example.KZ/moodle/"
    assert lti.check_configuration_url("HTTP://Moodle.KZ:80/x").origin == "http://moodle.kz"
    assert lti.check_configuration_url("https://m.kz:8443/x").origin == "https://m.kz:8443"
    assert lti.check_configuration_url("http://[::1]:8080/x").origin == "http://[::1]:8080"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://moodle.kz@127.0.0.1/cfg", "userinfo_in_url"),
        ("http://:pw@127.0.0.1/cfg", "userinfo_in_url"),
        ("http://moodle.kz\\@127.0.0.1/cfg", "bad_configuration_url"),
        ("http://moodle.kz/moodle/../evil/cfg", "bad_configuration_url"),
        ("http://moodle.kz/moodle/%2e%2e/evil/cfg", "bad_configuration_url"),
        ("http://[fe80::1%25eth0]/cfg", "bad_configuration_url"),
        ("http://moodle kz/cfg", "bad_configuration_url"),
        ("http://moodle.kz:99999/cfg", "bad_configuration_url"),
        ("file:///etc/passwd", "bad_configuration_url"),
    ],
)
def test_configuration_urls_parsers_could_read_differently_are_refused(
    url: str, problem: str
) -> None:
    import lti

    with pytest.raises(lti.RegistrationError) as refused:
        lti.check_configuration_url(url)
    assert refused.value.problem == problem


def test_the_form_cannot_name_an_invitation_as_the_pending_registration(
    app: Any, client: Any, httpserver: Any
) -> None:
    moodle = SimulatedMoodle(httpserver)
    token = invite(app)
    page = start(client, moodle, token)
    fields = hidden_fields(page.get_data(as_text=True))
    digest = registration_invites.token_digest(token)
    for pending in ("invite-" + digest, "../registration-invite-" + digest):
        response = client.post(
            form_action(page.get_data(as_text=True)), data={**fields, "pending": pending}
        )
        assert response.status_code == 400
    assert len(open_invite_ids(app)) == 1
    assert not moodle.registrations


@pytest.mark.parametrize("field", ["jwks_uri", "token_endpoint", "authorization_endpoint"])
def test_platform_endpoints_with_a_user_part_are_refused(
    app: Any, client: Any, httpserver: Any, field: str
) -> None:
    issuer = httpserver.url_for("/moodle").rstrip("/")
    config = hostile_configuration(httpserver, issuer, "new-client")
    config[field] = f"http://moodle.school.example.kz@127.0.0.1:{httpserver.port}/attacker/x"
    httpserver.clear_all_handlers()
    httpserver.expect_request("/moodle/cfg").respond_with_json(config)
    response = client.get(
        f"/lti/register/{invite(app)}", query_string={"openid_configuration": issuer + "/cfg"}
    )
    assert response.status_code == 400
    assert "user name or password" in response.get_data(as_text=True)
    assert platform_rows(app) == []


# -- what the platform answers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/moodle/missing.php", 502, "answered HTTP 404"),
        ("/elsewhere/mod/lti/openid-configuration.php", 400, "not where it was served"),
        ("/moodle/not-json", 502, "not a JSON document"),
    ],
)
def test_bad_platform_configuration_is_explained(
    app: Any, client: Any, httpserver: Any, path: str, status: int, words: str
) -> None:
    moodle = SimulatedMoodle(httpserver)
    httpserver.expect_request("/elsewhere/mod/lti/openid-configuration.php").respond_with_json(
        moodle.config
    )
    httpserver.expect_request("/moodle/not-json").respond_with_data("<html>")
    httpserver.expect_request("/moodle/missing.php").respond_with_data("", status=404)
    url = httpserver.url_for(path)
    response = client.get(
        f"/lti/register/{invite(app)}", query_string={"openid_configuration": url}
    )
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert len(open_invite_ids(app)) == 1


def test_registration_page_without_configuration_tells_how_to_use_it(app: Any, client: Any) -> None:
    response = client.get(f"/lti/register/{invite(app)}")
    assert response.status_code == 400
    assert "Add LTI Advantage" in response.get_data(as_text=True)


def test_unreachable_platform_is_a_502(app: Any, client: Any) -> None:
    response = client.get(
        f"/lti/register/{invite(app)}",
        query_string={"openid_configuration": "http://127.0.0.1:9/config"},
    )
    assert response.status_code == 502
    assert "could not reach the platform" in response.get_data(as_text=True)


def test_allowed_hosts_limit_registrations(make_app: Any, httpserver: Any) -> None:
    app = make_app(QADAM_REGISTRATION_ALLOWED_HOSTS=("moodle.school.kz",))
    moodle = SimulatedMoodle(httpserver)
    response = start(app.test_client(), moodle, invite(app))
    assert response.status_code == 403
    assert "does not accept registrations from localhost" in response.get_data(as_text=True)
    assert httpserver.log == [], "a host not allowed is not asked"


def test_allowed_hosts_admit_their_moodle(make_app: Any, httpserver: Any) -> None:
    app = make_app(QADAM_REGISTRATION_ALLOWED_HOSTS=("localhost",))
    moodle = SimulatedMoodle(httpserver)
    assert start(app.test_client(), moodle, invite(app)).status_code == 200
