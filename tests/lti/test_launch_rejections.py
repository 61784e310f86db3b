"""Malformed and hostile launches are refused with the right 4xx and a plain message."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tests.support.platform_simulator import PlatformSimulator, SigningKey

DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
VERSION = "https://purl.imsglobal.org/spec/lti/claim/version"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any]) -> str:
    return _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + "."


def hs256_with_public_key(platform: PlatformSimulator) -> Callable[[dict[str, Any]], str]:
    """The classic key-confusion attack: HMAC keyed with the platform's public key."""

    def make(claims: dict[str, Any]) -> str:
        header = {"alg": "HS256", "typ": "JWT", "kid": platform.key.kid}
        signing_input = _b64(header) + "." + _b64(claims)
        import hashlib
        import hmac

        mac = hmac.new(platform.key.public_pem, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    return make


def signed_by_stranger(platform: PlatformSimulator) -> Callable[[dict[str, Any]], str]:
    stranger = SigningKey()
    stranger.kid = platform.key.kid  # claims to be the platform's key

    def make(claims: dict[str, Any]) -> str:
        return platform.sign(claims, key=stranger)

    return make


def unknown_kid(platform: PlatformSimulator) -> Callable[[dict[str, Any]], str]:
    stranger = SigningKey()

    def make(claims: dict[str, Any]) -> str:
        return platform.sign(claims, key=stranger)

    return make


def drop(claim: str) -> Callable[[dict[str, Any]], None]:
    return lambda claims: claims.pop(claim)


def setter(claim: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(claims: dict[str, Any]) -> None:
        claims[claim] = value

    return mutate


def expired(claims: dict[str, Any]) -> None:
    claims["iat"] = int(time.time()) - 600
    claims["exp"] = int(time.time()) - 300


def issued_in_future(claims: dict[str, Any]) -> None:
    claims["iat"] = int(time.time()) + 600
    claims["exp"] = int(time.time()) + 660


CASES: list[tuple[str, dict[str, Any], int, str, str]] = [
    # id, launch options, status, problem code shown, words of the message (English)
    ("bad signature", {"token": signed_by_stranger}, 403, "bad_signature", "invalid signature"),
    ("unknown kid", {"token": unknown_kid}, 403, "unknown_key", "key Qadam does not know"),
    ("alg none", {"token": lambda p: unsigned_token}, 400, "unsupported_algorithm", "RS256"),
    (
        "HS256 with public key",
        {"token": hs256_with_public_key},
        400,
        "unsupported_algorithm",
        "RS256",
    ),
    ("expired", {"mutate": expired}, 403, "expired", "has expired"),
    ("iat in the future", {"mutate": issued_in_future}, 400, "not_yet_valid", "in the future"),
    ("wrong aud", {"mutate": setter("aud", "someone-else")}, 403, "wrong_audience", "another tool"),
    ("wrong azp", {"mutate": setter("azp", "someone-else")}, 403, "wrong_audience", "another tool"),
    (
        "wrong iss",
        {"mutate": setter("iss", "https://evil.example")},
        400,
        "wrong_issuer",
        "different site",
    ),
    (
        "unknown deployment",
        {"mutate": setter(DEPLOYMENT, "99")},
        403,
        "unknown_deployment",
        "deployment",
    ),
    ("missing deployment", {"mutate": drop(DEPLOYMENT)}, 400, "missing_claim", "deployment_id"),
    ("missing message type", {"mutate": drop(MESSAGE_TYPE)}, 400, "missing_claim", "message_type"),
    (
        "unknown message type",
        {"mutate": setter(MESSAGE_TYPE, "LtiStartProctoring")},
        400,
        "unsupported_message",
        "cannot handle",
    ),
    ("wrong LTI version", {"mutate": setter(VERSION, "1.1")}, 400, "wrong_version", "LTI 1.3"),
    ("missing sub", {"mutate": drop("sub")}, 400, "missing_claim", "(sub)"),
    ("missing nonce", {"mutate": drop("nonce")}, 400, "missing_claim", "(nonce)"),
    (
        "nonce never issued",
        {"mutate": setter("nonce", "forged-nonce")},
        403,
        "replayed",
        "already used",
    ),
    (
        "missing roles",
        {"mutate": drop("https://purl.imsglobal.org/spec/lti/claim/roles")},
        400,
        "missing_claim",
        "roles",
    ),
    (
        "missing resource link",
        {"mutate": drop("https://purl.imsglobal.org/spec/lti/claim/resource_link")},
        400,
        "missing_claim",
        "resource_link",
    ),
    ("mismatched state", {"state": "state-forged"}, 400, "state_mismatch", "another browser"),
    ("missing state", {"state": ""}, 400, "missing_state", "incomplete"),
]


@pytest.mark.parametrize(
    ("options", "status", "problem", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_malformed_launch_is_refused(
    client: Any,
    platform: PlatformSimulator,
    options: dict[str, Any],
    status: int,
    problem: str,
    words: str,
) -> None:
    kwargs = dict(options)
    if "token" in kwargs:
        kwargs["token"] = kwargs["token"](platform)
    response = platform.launch(client, locale="en", **kwargs)
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:2000]
    assert problem in text
    assert words in text
    assert "Traceback" not in text
    assert client.get("/teacher").status_code == 401, "a refused launch signs nobody in"


def test_replayed_launch_is_refused(client: Any, platform: PlatformSimulator) -> None:
    auth = platform.auth_request(platform.login(client))
    token = platform.sign(platform.claims("instructor", nonce=auth["nonce"], locale="en"))
    first = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert first.status_code == 303
    again = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert again.status_code in (400, 403)
    assert "replayed" in again.get_data(as_text=True) or "state_mismatch" in again.get_data(
        as_text=True
    )


def test_replayed_nonce_with_fresh_state_is_refused(
    client: Any, platform: PlatformSimulator
) -> None:
    auth = platform.auth_request(platform.login(client))
    claims = platform.claims("instructor", nonce=auth["nonce"], locale="en")
    assert (
        client.post(
            "/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]}
        ).status_code
        == 303
    )
    # A new login gives a new state; re-using the old nonce inside a fresh token must fail.
    second = platform.auth_request(platform.login(client))
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": second["state"]}
    )
    assert response.status_code == 403
    assert "replayed" in response.get_data(as_text=True)


def test_state_from_another_browser_is_refused(app: Any, platform: PlatformSimulator) -> None:
    browser_a, browser_b = app.test_client(), app.test_client()
    auth = platform.auth_request(platform.login(browser_a))
    token = platform.sign(platform.claims("instructor", nonce=auth["nonce"], locale="en"))
    response = browser_b.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    # The login is known but this browser never got its cookie: offer a new window.
    assert "cookies_blocked" in text
    assert "lti1p3_new_window=1" in text
    assert 'target="_blank"' in text


def test_garbage_token_is_refused(client: Any, platform: PlatformSimulator) -> None:
    auth = platform.auth_request(platform.login(client))
    response = client.post("/lti/launch", data={"id_token": "not-a-jwt", "state": auth["state"]})
    assert response.status_code == 400
    assert "malformed_token" in response.get_data(as_text=True)


def test_launch_without_token_is_refused(client: Any) -> None:
    response = client.post("/lti/launch", data={})
    assert response.status_code == 400
    assert "only opens from a Moodle course" in response.get_data(as_text=True)


def test_get_on_launch_url_explains(client: Any) -> None:
    response = client.get("/lti/launch")
    assert response.status_code == 405
    assert "only works when Moodle opens Qadam" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("params", "status", "problem"),
    [
        ({"iss": "https://unknown.example"}, 403, "unknown_platform"),
        ({"client_id": "nobody"}, 403, "wrong_audience"),
        ({"iss": ""}, 400, "malformed_request"),
        ({"login_hint": ""}, 400, "malformed_request"),
    ],
)
def test_bad_login_initiation_is_refused(
    client: Any, platform: PlatformSimulator, params: dict[str, str], status: int, problem: str
) -> None:
    response = platform.login(client, **params)
    assert response.status_code == status
    assert problem in response.get_data(as_text=True)


def test_login_by_get_is_accepted(client: Any, platform: PlatformSimulator) -> None:
    response = client.get("/lti/login", query_string=platform.login_params())
    assert response.status_code == 302
    assert response.headers["Location"].startswith(platform.auth_login_url + "?")


def test_error_page_speaks_the_launch_language(client: Any, platform: PlatformSimulator) -> None:
    for lang in ("kk", "en"):
        response = platform.launch(client, locale=lang, mutate=setter(DEPLOYMENT, "99"))
        assert response.status_code == 403
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_signature_checked_with_pyjwt_not_trusted_header(platform: PlatformSimulator) -> None:
    # Guard for the tests themselves: the stranger's token really does not verify.
    token = signed_by_stranger(platform)({"sub": "x"})
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, platform.key.public_pem, algorithms=["RS256"])


ODD_SHAPES = [
    ("https://purl.imsglobal.org/spec/lti/claim/context", "not-an-object"),
    ("https://purl.imsglobal.org/spec/lti/claim/launch_presentation", ["ru"]),
    ("https://purl.imsglobal.org/spec/lti/claim/custom", "qadam_role=coordinator"),
    ("https://purl.imsglobal.org/spec/lti/claim/roles", "Instructor"),
    ("https://purl.imsglobal.org/spec/lti/claim/resource_link", "12"),
    ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", 5),
    ("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice", None),
    (MESSAGE_TYPE, ["LtiResourceLinkRequest"]),
    (DEPLOYMENT, {"id": 1}),
    ("sub", {"id": 3}),
    ("aud", 12345),
    ("nonce", 7),
    ("exp", "soon"),
]


@pytest.mark.parametrize(("claim", "value"), ODD_SHAPES, ids=[c for c, _ in ODD_SHAPES])
def test_claims_of_the_wrong_shape_never_cause_a_server_error(
    client: Any, platform: PlatformSimulator, claim: str, value: Any
) -> None:
    response = platform.launch(client, locale="en", mutate=setter(claim, value))
    assert response.status_code in (303, 400, 403), response.get_data(as_text=True)[:3000]
    if response.status_code == 303:
        assert client.get(response.headers["Location"]).status_code == 200
