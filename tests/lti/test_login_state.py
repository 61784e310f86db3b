"""The signed login state: a login writes nothing, and each state opens one launch, once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import LtiStoreEntry
from app.services.lti_store import DatabaseKeyValueStore
from lti.login_state import LOGIN_LIFETIME, STATE_COOKIE_VALUE, LoginStates, state_cookie_name
from tests.support.platform_simulator import PlatformSimulator


def _state_cookie(client: Any, state: str) -> None:
    client.set_cookie(state_cookie_name(state), STATE_COOKIE_VALUE)


def _launch_with(client: Any, platform: PlatformSimulator, auth: dict[str, str]) -> Any:
    token = platform.sign(platform.claims("instructor", nonce=auth["nonce"], locale="en"))
    return client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})


def _entries(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(LtiStoreEntry)) or 0)


def test_a_login_runs_no_statement_and_writes_nothing(
    app: Any, client: Any, platform: PlatformSimulator
) -> None:
    platform.auth_request(platform.login(client))  # the registration is cached from here on
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    before = _entries(app)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        auth = platform.auth_request(platform.login(client))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == []
    assert _entries(app) == before
    assert auth["state"].startswith("state-")
    assert len(auth["state"]) < 1000
    assert _launch_with(client, platform, auth).status_code == 303


def test_a_state_cannot_be_used_twice_even_with_its_cookie_back(
    client: Any, platform: PlatformSimulator
) -> None:
    auth = platform.auth_request(platform.login(client))
    assert _launch_with(client, platform, auth).status_code == 303
    _state_cookie(client, auth["state"])  # the launch removed it; an attacker puts it back
    again = _launch_with(client, platform, auth)  # a freshly signed token with the same nonce
    assert again.status_code == 403
    assert "replayed" in again.get_data(as_text=True)


def test_a_state_signed_with_another_key_is_refused(
    client: Any, platform: PlatformSimulator
) -> None:
    forged, nonce = LoginStates(["not the tool's key"]).issue(platform.login_params())
    _state_cookie(client, forged)
    response = _launch_with(client, platform, {"state": forged, "nonce": nonce})
    assert response.status_code == 403
    assert "replayed" in response.get_data(as_text=True)
    assert client.get("/teacher").status_code == 401


def test_a_changed_state_is_refused(client: Any, platform: PlatformSimulator) -> None:
    auth = platform.auth_request(platform.login(client))
    state = auth["state"]
    middle = len(state) // 2
    changed = state[:middle] + ("A" if state[middle] != "A" else "B") + state[middle + 1 :]
    _state_cookie(client, changed)
    response = _launch_with(client, platform, {"state": changed, "nonce": auth["nonce"]})
    assert response.status_code == 403
    assert "replayed" in response.get_data(as_text=True)


def test_a_state_older_than_its_lifetime_is_refused(
    client: Any, platform: PlatformSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = platform.auth_request(platform.login(client))
    issued = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: issued(self) + LOGIN_LIFETIME + 1
    )
    response = _launch_with(client, platform, auth)
    assert response.status_code == 403
    assert "replayed" in response.get_data(as_text=True)


def test_a_state_signed_before_a_key_rotation_still_opens(
    make_app: Any, platform: PlatformSimulator
) -> None:
    old = make_app(SECRET_KEY="the old secret key of this tool, long enough")
    new = make_app(
        SECRET_KEY="the new secret key of this tool, long enough",
        SECRET_KEY_FALLBACKS=["the old secret key of this tool, long enough"],
    )
    browser = old.test_client()
    auth = platform.auth_request(platform.login(browser))
    cookie = browser.get_cookie(state_cookie_name(auth["state"]))
    assert cookie is not None
    after = new.test_client()
    _state_cookie(after, auth["state"])
    assert _launch_with(after, platform, auth).status_code == 303


def test_an_oversized_or_foreign_state_is_refused_unread() -> None:
    states = LoginStates(["k"])
    state, _nonce = states.issue({"iss": "https://moodle.example.kz"})
    assert states.open(state) is not None
    assert states.open(state + "A" * 4000) is None
    assert states.open("state-" + "A" * 40) is None
    assert states.open(state.removeprefix("state-")) is None


def test_only_one_of_two_workers_claims_a_login(make_app: Any) -> None:
    first, second = make_app(), make_app()
    with first.app_context():
        assert DatabaseKeyValueStore().add("login-used-n1", True, 60) is True
    with second.app_context():
        assert DatabaseKeyValueStore().add("login-used-n1", True, 60) is False
        assert DatabaseKeyValueStore().add("login-used-n2", True, 60) is True


def test_logins_naming_endless_issuers_do_not_grow_memory(
    app: Any, client: Any, platform: PlatformSimulator
) -> None:
    from app.services.platforms import registrations

    for n in range(300):
        response = platform.login(client, iss=f"https://unknown-{n}.example")
        assert response.status_code == 403
    with app.app_context():
        cache = registrations()
        assert len(cache._entries) <= cache.max_entries
    assert platform.auth_request(platform.login(client))["state"].startswith("state-")


def test_earlier_secret_keys_are_read_from_the_environment(tmp_path: Any) -> None:
    from app.config import load_config

    config = load_config(
        tmp_path, {"QADAM_SECRET_KEY": "new", "QADAM_SECRET_KEY_FALLBACKS": "old-1, old-2,"}
    )
    assert config["SECRET_KEY_FALLBACKS"] == ["old-1", "old-2"]
    assert load_config(tmp_path, {"QADAM_SECRET_KEY": "new"})["SECRET_KEY_FALLBACKS"] == []


def test_the_state_cookie_stays_short_and_is_bound_to_its_state(
    client: Any, platform: PlatformSimulator
) -> None:
    first = platform.login(client)
    header = first.headers["Set-Cookie"]
    name, _, rest = header.partition("=")
    assert name == state_cookie_name(platform.auth_request(first)["state"])
    assert len(name) < 50
    assert rest.startswith(STATE_COOKIE_VALUE + ";")
    # The cookie of one login does not vouch for another login's state (made in another
    # browser): this browser holds a state cookie, but not that state's.
    second = platform.auth_request(platform.login(client.application.test_client()))
    response = _launch_with(client, platform, second)
    assert response.status_code == 400
    assert "cookies_blocked" in response.get_data(as_text=True)


def test_the_log_level_is_read_from_the_environment_and_checked(tmp_path: Any) -> None:
    from app.config import load_config

    assert load_config(tmp_path, {})["QADAM_LOG_LEVEL"] == "INFO"
    assert load_config(tmp_path, {"QADAM_LOG_LEVEL": "debug"})["QADAM_LOG_LEVEL"] == "DEBUG"
    with pytest.raises(ValueError, match="QADAM_LOG_LEVEL"):
        load_config(tmp_path, {"QADAM_LOG_LEVEL": "chatty"})


@pytest.mark.parametrize("first", ["/qadam", ""])
def test_the_launch_url_a_login_names_follows_the_mount_point(
    client: Any, platform: PlatformSimulator, first: str
) -> None:
    # The URLs are built once per mount point: a tool served under two paths gets each right.
    for root in (first, "/qadam" if first == "" else ""):
        response = client.post(
            "/lti/login", data=platform.login_params(), base_url="http://localhost" + root
        )
        assert platform.auth_request(response)["redirect_uri"] == (
            platform.tool_base + root + "/lti/launch"
        )


def test_an_accepted_launch_is_logged_at_debug_only(
    client: Any, platform: PlatformSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="app")
    assert platform.launch(client, locale="en").status_code == 303
    lines = [
        r for r in caplog.records if r.getMessage().startswith("launch LtiResourceLinkRequest")
    ]
    assert [r.levelno for r in lines] == [logging.DEBUG]
