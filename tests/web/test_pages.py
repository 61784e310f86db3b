"""Headers, cookies, CSRF, language choice and error pages of the tool's own pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Blueprint


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_front_page_shows_registration_urls(client: Any) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "http://qadam.test/lti/register" in html
    assert "http://qadam.test/lti/login" in html
    assert "http://qadam.test/lti/jwks" in html


def test_frame_ancestors_lists_registered_platforms(client: Any, platform: Any) -> None:
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://moodle.school.example.kz" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_no_x_frame_options_so_moodle_can_frame_qadam(client: Any) -> None:
    assert "X-Frame-Options" not in client.get("/").headers


def test_https_session_cookie_is_samesite_none_secure_partitioned(
    make_app: Any, httpserver: Any
) -> None:
    from tests.support.platform_simulator import PlatformSimulator

    app = make_app(
        QADAM_BASE_URL="https://qadam.test",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="None",
        SESSION_COOKIE_PARTITIONED=True,
    )
    simulator = PlatformSimulator(httpserver, tool_base="https://qadam.test")
    with app.app_context():
        simulator.register()
    client = app.test_client()
    auth = simulator.auth_request(
        client.post("/lti/login", data=simulator.login_params(), base_url="https://qadam.test")
    )
    token = simulator.sign(simulator.claims("instructor", nonce=auth["nonce"]))
    response = client.post(
        "/lti/launch",
        data={"id_token": token, "state": auth["state"]},
        base_url="https://qadam.test",
    )
    assert response.status_code == 303
    cookie = next(
        v for v in response.headers.getlist("Set-Cookie") if v.startswith("qadam_session=")
    )
    assert "Secure" in cookie
    assert "SameSite=None" in cookie
    assert "Partitioned" in cookie
    assert "HttpOnly" in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_config_from_environment_turns_on_secure_cookies() -> None:
    from pathlib import Path
    from tempfile import mkdtemp

    from app.config import load_config

    config = load_config(Path(mkdtemp()), {"QADAM_BASE_URL": "https://qadam.school.kz/"})
    assert config["QADAM_BASE_URL"] == "https://qadam.school.kz"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "None"
    assert config["QADAM_DEMO"] is False, "the demo platform is never on by default"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    pg = load_config(Path(mkdtemp()), {"QADAM_DATABASE_URL": "postgres://u@h/db"})
    assert pg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_secret_key_is_generated_once_into_instance(tmp_path: Any) -> None:
    from app.config import load_config

    first = load_config(tmp_path, {})["SECRET_KEY"]
    assert len(first) == 64
    assert load_config(tmp_path, {})["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_language_switch_needs_csrf_and_stays_on_site(client: Any) -> None:
    assert client.post("/language", data={"lang": "kk", "next": "/"}).status_code == 400
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/language", data={"lang": "kk", "next": "/", "csrf_token": token})
    assert response.status_code == 303
    assert '<html lang="kk">' in client.get("/").get_data(as_text=True)
    evil = client.post(
        "/language", data={"lang": "en", "next": "https://evil.example/", "csrf_token": token}
    )
    assert evil.headers["Location"].split("?")[0] == "/"
    sneaky = client.post(
        "/language", data={"lang": "en", "next": "//evil.example", "csrf_token": token}
    )
    assert sneaky.headers["Location"].split("?")[0] == "/"
    # Browsers read "\\" as "/" and drop tabs and newlines inside a URL.
    for trick in ("/\\evil.example", "/\\/evil.example", "/\t/evil.example", "/\n/evil.example"):
        tricked = client.post("/language", data={"lang": "en", "next": trick, "csrf_token": token})
        assert tricked.headers["Location"] == "/", trick
    fine = client.post(
        "/language", data={"lang": "en", "next": "/lessons?band=basic", "csrf_token": token}
    )
    assert fine.headers["Location"] == "/lessons?band=basic"


def test_unknown_language_is_a_clear_400(client: Any) -> None:
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/language", data={"lang": "fr", "csrf_token": token})
    assert response.status_code == 400


def test_language_choice_overrides_launch_locale(client: Any, platform: Any) -> None:
    platform.launch(client, "learner", locale="ru")
    html = client.get("/student").get_data(as_text=True)
    assert '<html lang="ru">' in html
    client.post(
        "/language", data={"lang": "en", "next": "/student", "csrf_token": csrf_token(html)}
    )
    assert '<html lang="en">' in client.get("/student").get_data(as_text=True)


def test_accept_language_picks_the_page_language_before_a_launch(client: Any) -> None:
    html = client.get("/", headers={"Accept-Language": "kk-KZ,kk;q=0.9"}).get_data(as_text=True)
    assert '<html lang="kk">' in html
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="ru">' in html


def test_unexpected_error_shows_no_stack_trace(make_app: Any) -> None:
    app = make_app()
    boom = Blueprint("boom", __name__)

    @boom.get("/boom")
    def explode() -> str:
        raise RuntimeError("secret internals")

    app.register_blueprint(boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert "unexpected problem" in text


@pytest.mark.parametrize("path", ["/nope", "/static/nope.css"])
def test_not_found_is_a_page(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "There is no page at this address." in response.get_data(as_text=True)


def test_oversized_post_is_a_413(client: Any) -> None:
    response = client.post("/lti/launch", data={"id_token": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_healthz_is_plain(client: Any) -> None:
    response = client.get("/healthz")
    assert response.get_data(as_text=True) == "ok"


def test_help_contacts_come_from_configuration(make_app: Any) -> None:
    app = make_app(QADAM_HELP_CONTACT_CENTRE="1111", QADAM_HELP_CENTRE_NAME="TestCentre")
    html = app.test_client().get("/").get_data(as_text=True)
    assert "<strong>1111</strong>" in html
    assert "TestCentre" in html


def test_secure_login_inside_a_frame_checks_cookies_first(make_app: Any, httpserver: Any) -> None:
    from tests.support.platform_simulator import PlatformSimulator

    app = make_app(QADAM_BASE_URL="https://qadam.test")
    simulator = PlatformSimulator(httpserver, tool_base="https://qadam.test")
    with app.app_context():
        simulator.register()
    client = app.test_client()
    framed = client.post(
        "/lti/login",
        data=simulator.login_params(),
        base_url="https://qadam.test",
        headers={"Sec-Fetch-Dest": "iframe"},
    )
    assert framed.status_code == 200
    html = framed.get_data(as_text=True)
    assert "cookie-check.js" in html
    assert "lti1p3_new_window=1" in html
    assert 'target="_blank"' in html
    # The page's continue link (the new window) goes straight to the platform.
    params = dict(simulator.login_params(), lti1p3_new_window="1")
    again = client.get("/lti/login", query_string=params, base_url="https://qadam.test")
    assert again.status_code == 302
    assert again.headers["Location"].startswith(simulator.auth_login_url)
    # Outside a frame there is no extra round trip.
    direct = client.post("/lti/login", data=simulator.login_params(), base_url="https://qadam.test")
    assert direct.status_code == 302


def test_static_files_carry_their_hash_and_are_cached_long(client: Any) -> None:
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/qadam.css\?v=[0-9a-f]{12})"', html)
    assert css, "the stylesheet URL carries its content hash"
    response = client.get(css.group(1))
    response.close()
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600
