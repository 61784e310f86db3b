"""Outbound requests are hostile territory: only public addresses (checked on every redirect
hop, then pinned), a total deadline and a byte cap on every call. Nothing here connects
anywhere but loopback: the suite's network guard would fail the test if it did."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from werkzeug import Response

from app.extensions import db
from app.lti_tool import tool_conf
from app.models import OutboxMessage
from app.services import delivery
from lti import ServiceError, fetch_roster
from lti import http as outbound
from lti.registration import MAX_DOCUMENT_BYTES, registration_session
from tests.lti.test_dynamic_registration import invite
from tests.support.hostile_http import DripServer, FloodServer, TlsDripServer
from tests.support.platform_simulator import PlatformSimulator
from tests.support.quiz_flow import PERFECT, quiz_setup

PRIVATE_TARGETS = [
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[fc00::5]/",
    "http://[fec0::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::10.0.0.1]/",
    "http://[2002:a00:1::]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2001:db8::1]/",
]
LOOPBACK_FORMS = [
    "http://127.0.0.1:{port}/",
    "http://127.1.2.3:{port}/",
    "http://localhost:{port}/",
    "http://2130706433:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
]


@pytest.fixture
def loopback_off() -> Iterator[None]:
    outbound.configure(allow_loopback=False)
    yield
    outbound.configure(allow_loopback=True)


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the given names to the given addresses; other names as usual. Returns the log."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            asked.append(host)
            addresses = answers[host] if len(asked) == 1 else answers.get(host + "#later", [])
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in addresses or answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


# -- which addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["10.1.1.1", "127.0.0.1", "169.254.1.1", "::1", "fe80::1", "fd12::1", "::ffff:192.168.0.1"],
)
def test_private_addresses_are_not_allowed(address: str) -> None:
    assert not outbound.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2a00:1450:4001:81b::200e", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert outbound.address_allowed(ipaddress.ip_address(address))


def test_loopback_setting_allows_loopback_only() -> None:
    allowed = [
        a
        for a in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "10.0.0.1", "169.254.169.254", "fd00::1")
        if outbound.address_allowed(ipaddress.ip_address(a), allow_loopback=True)
    ]
    assert allowed == ["127.0.0.1", "::1", "::ffff:127.0.0.1"]


# -- the setting ----------------------------------------------------------------------------


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
def test_with_the_setting_off_loopback_is_refused(
    httpserver: Any, loopback_off: None, form: str
) -> None:
    httpserver.expect_request("/").respond_with_json({"ok": True})
    with pytest.raises(outbound.AddressNotAllowed):
        outbound.TimeoutSession().get(form.format(port=httpserver.port))
    assert not httpserver.log, "refused before connecting"


def test_with_the_setting_on_loopback_is_fetched(httpserver: Any) -> None:
    httpserver.expect_request("/").respond_with_json({"ok": True})
    assert outbound.TimeoutSession().get(httpserver.url_for("/")).json() == {"ok": True}


def test_the_setting_is_read_from_the_environment(make_app: Any, tmp_path: Path) -> None:
    from app.config import load_config

    def flag(env: dict[str, str]) -> bool:
        return bool(load_config(tmp_path / "env", env)["QADAM_OUTBOUND_ALLOW_LOOPBACK"])

    assert flag({}) is False
    assert flag({"QADAM_OUTBOUND_ALLOW_LOOPBACK": "1"}) is True
    make_app(QADAM_OUTBOUND_ALLOW_LOOPBACK=False)
    assert outbound.policy().allow_loopback is False
    make_app()
    assert outbound.policy().allow_loopback is True


# -- every redirect hop ---------------------------------------------------------------------


@pytest.mark.parametrize("target", PRIVATE_TARGETS)
def test_a_redirect_to_a_private_address_is_refused(httpserver: Any, target: str) -> None:
    httpserver.expect_request("/jump").respond_with_response(
        Response(status=302, headers={"Location": target})
    )
    with pytest.raises(outbound.AddressNotAllowed):
        outbound.TimeoutSession().get(httpserver.url_for("/jump"))


def test_a_redirect_back_to_loopback_is_refused_when_the_setting_is_off(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch, loopback_off: None
) -> None:
    real = outbound.address_allowed
    # The test server's own address passes as if it were public; nothing else does.
    monkeypatch.setattr(
        outbound,
        "address_allowed",
        lambda address, allow_loopback=False: (
            str(address) == "127.0.0.1" or real(address, allow_loopback=allow_loopback)
        ),
    )
    httpserver.expect_request("/jump").respond_with_response(
        Response(status=302, headers={"Location": f"http://[::ffff:127.0.0.1]:{httpserver.port}/"})
    )
    with pytest.raises(outbound.AddressNotAllowed):
        outbound.TimeoutSession().get(httpserver.url_for("/jump"))
    assert len(httpserver.log) == 1, "the second hop never connected"


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "file:///etc/passwd", "http://user:pw@127.0.0.1/", "gopher://x/"]
)
def test_only_http_and_https_without_user_information(url: str) -> None:
    with pytest.raises(requests.RequestException):
        outbound.TimeoutSession().get(url)


def test_a_redirect_to_another_scheme_is_refused(httpserver: Any) -> None:
    httpserver.expect_request("/jump").respond_with_response(
        Response(status=302, headers={"Location": "file:///etc/passwd"})
    )
    with pytest.raises(requests.RequestException):
        outbound.TimeoutSession().get(httpserver.url_for("/jump"))


# -- names and what they resolve to ---------------------------------------------------------


@pytest.mark.parametrize(
    "addresses", [["10.20.30.40"], ["169.254.169.254"], ["93.184.216.34", "10.0.0.1"], ["fd00::7"]]
)
def test_a_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, addresses: list[str]
) -> None:
    fake_dns(monkeypatch, {"moodle.example.kz": addresses})
    with pytest.raises(outbound.AddressNotAllowed, match="not a public address"):
        outbound.TimeoutSession().get("https://moodle.example.kz/mod/lti/certs.php")


def test_the_checked_address_is_the_one_connected_to(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name's second answer (private) is never used."""
    asked = fake_dns(
        monkeypatch, {"moodle.example.kz": ["127.0.0.1"], "moodle.example.kz#later": ["10.0.0.1"]}
    )
    httpserver.expect_request("/keys").respond_with_json({"keys": []})
    url = f"http://moodle.example.kz:{httpserver.port}/keys"
    assert outbound.TimeoutSession().get(url).json() == {"keys": []}
    assert asked == ["moodle.example.kz"], "resolved once, connected to what was checked"
    request, _ = httpserver.log[0]
    assert request.headers["Host"] == f"moodle.example.kz:{httpserver.port}", "Host kept"


def test_https_keeps_the_name_for_sni_and_certificate_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def connect(self: Any) -> None:
        seen["host"] = self.host
        raise requests.ConnectionError("stop here")

    monkeypatch.setattr(outbound._PinnedHTTPSConnection, "connect", connect)
    with pytest.raises(requests.ConnectionError):
        outbound.TimeoutSession().get("https://moodle.example.kz/")
    assert seen["host"] == "moodle.example.kz"


# -- deadline and size ----------------------------------------------------------------------


def test_defaults_bound_every_call() -> None:
    assert outbound.DEFAULT_TIMEOUT <= 10
    assert outbound.CONNECT_TIMEOUT < outbound.DEFAULT_TIMEOUT
    assert outbound.SERVICE_MAX_BYTES == 1024 * 1024
    assert MAX_DOCUMENT_BYTES == 256 * 1024


@pytest.mark.parametrize("drip_headers", [False, True])
def test_a_dripping_server_hits_the_total_deadline(drip_headers: bool) -> None:
    with DripServer(interval=0.3, drip_headers=drip_headers) as server:
        started = time.monotonic()
        with pytest.raises(outbound.DeadlineExceeded):
            outbound.TimeoutSession(timeout=1.0).get(server.url)
        assert time.monotonic() - started < 2.0


def test_a_tls_handshake_dripping_hits_the_total_deadline() -> None:
    with TlsDripServer(interval=0.3) as server:
        started = time.monotonic()
        with pytest.raises(outbound.DeadlineExceeded):
            outbound.TimeoutSession(timeout=1.0).get(server.url.replace("http:", "https:"))
        assert time.monotonic() - started < 2.0


def test_the_deadline_covers_every_redirect_hop(httpserver: Any) -> None:
    with DripServer(interval=0.3) as server:
        httpserver.expect_request("/jump").respond_with_response(
            Response(status=302, headers={"Location": server.url})
        )
        started = time.monotonic()
        with pytest.raises(outbound.DeadlineExceeded):
            outbound.TimeoutSession(timeout=1.0).get(httpserver.url_for("/jump"))
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("claimed_length", [None, 10])
def test_a_huge_answer_hits_the_byte_cap(claimed_length: int | None) -> None:
    with FloodServer(claimed_length=claimed_length) as server:
        with pytest.raises(outbound.ResponseTooLarge):
            outbound.TimeoutSession().get(server.url)
        with pytest.raises(outbound.ResponseTooLarge):
            registration_session().get(server.url)


def test_a_huge_redirect_body_hits_the_byte_cap(httpserver: Any) -> None:
    httpserver.expect_request("/jump").respond_with_response(
        Response(b"x" * 300_000, status=302, headers={"Location": "/there"})
    )
    with pytest.raises(outbound.ResponseTooLarge):
        registration_session().get(httpserver.url_for("/jump"))


def test_a_session_stays_usable_after_a_refused_answer(httpserver: Any) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 300_000)
    httpserver.expect_request("/small").respond_with_json({"ok": True})
    session = registration_session()
    with pytest.raises(outbound.ResponseTooLarge):
        session.get(httpserver.url_for("/big"))
    assert session.get(httpserver.url_for("/small")).json() == {"ok": True}


# -- each caller ----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["http://10.0.0.1/config", "http://[fd00::1]/config"])
def test_registration_from_a_private_address_is_refused_in_plain_words(
    client: Any, target: str
) -> None:
    response = client.get(
        f"/lti/register/{invite(client.application)}", query_string={"openid_configuration": target}
    )
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "private or local network address" in html
    assert "Traceback" not in html


def test_registration_redirected_to_cloud_metadata_is_refused(client: Any, httpserver: Any) -> None:
    httpserver.expect_request("/moodle/config").respond_with_response(
        Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    )
    response = client.get(
        f"/lti/register/{invite(client.application)}",
        query_string={"openid_configuration": httpserver.url_for("/moodle/config")},
    )
    assert response.status_code == 403
    assert "private or local network address" in response.get_data(as_text=True)


def test_registration_on_loopback_is_refused_without_the_setting(
    make_app: Any, httpserver: Any
) -> None:
    app = make_app(QADAM_OUTBOUND_ALLOW_LOOPBACK=False)
    response = app.test_client().get(
        f"/lti/register/{invite(app)}",
        query_string={"openid_configuration": httpserver.url_for("/config")},
    )
    assert response.status_code == 403
    assert not httpserver.log


def test_platform_keys_at_a_private_address_are_the_502_page(app: Any, httpserver: Any) -> None:
    simulator = PlatformSimulator(httpserver)
    spec = dataclasses.replace(
        simulator.registration_spec(), jwks_url="http://169.254.169.254/keys"
    )
    with app.app_context():
        from app.services.platforms import save_platform

        save_platform(spec, (simulator.deployment_id,))
    response = simulator.launch(app.test_client(), "learner")
    assert response.status_code == 502
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_token_url_at_a_private_address_is_retried_later(
    make_app: Any, httpserver: Any, tmp_path: Path
) -> None:
    from tests.lti.test_grade_delivery import drain, take_quiz

    app, simulator = quiz_setup(make_app, httpserver, tmp_path)
    spec = dataclasses.replace(simulator.registration_spec(), auth_token_url="http://10.9.9.9/t")
    with app.app_context():
        from app.services.platforms import IfRegistered, save_platform

        save_platform(spec, (simulator.deployment_id,), if_registered=IfRegistered.REPLACE)
    take_quiz(app, simulator, "student-7", PERFECT, ags="lineitem")
    report = drain(app)
    assert (report.delivered, report.retrying, report.dead) == (0, 1, 0)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status == "pending"
        assert "10.9.9.9" in message.last_error
        assert "not a public address" in message.last_error
    assert not simulator.services.scores


def test_a_roster_page_pointing_at_a_private_address_is_refused(
    make_app: Any, httpserver: Any, tmp_path: Path
) -> None:
    import lti

    lti.forget_tokens()
    app, simulator = quiz_setup(make_app, httpserver, tmp_path)
    simulator.services.roster_next = "http://192.168.0.10/memberships?page=2"
    with app.test_request_context():
        conf = tool_conf(signing=True)
        with pytest.raises(ServiceError) as refused:
            fetch_roster(
                conf, simulator.issuer, simulator.client_id, simulator.services.memberships_url
            )
    assert not refused.value.permanent


def test_delivery_is_untouched_by_a_good_platform(
    make_app: Any, httpserver: Any, tmp_path: Path
) -> None:
    """The guard costs nothing to a platform on an allowed address."""
    from tests.lti.test_grade_delivery import take_quiz

    app, simulator = quiz_setup(make_app, httpserver, tmp_path)
    take_quiz(app, simulator, "student-7", PERFECT, ags="lineitem")
    with app.test_request_context():
        report = delivery.drain_outbox(tool_conf(signing=True))
    assert report.delivered == 1
