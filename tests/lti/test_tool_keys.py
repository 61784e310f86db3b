"""The tool's keys: JWKS endpoint, rotation that publishes before signing, retirement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import lti
from app.models.base import utcnow
from app.services import tool_keys


def test_jwks_endpoint_publishes_a_key_without_private_parts(client: Any) -> None:
    response = client.get("/lti/jwks")
    assert response.status_code == 200
    published = response.get_json()["keys"]
    # One LTI key (RSA); the package manifest key (EC, ES256) is published beside it.
    keys = [k for k in published if k["kty"] == "RSA"]
    assert len(keys) == 1
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["use"] == "sig"
    assert [k["alg"] for k in published if k["kty"] != "RSA"] == ["ES256"]
    for key in published:
        assert {"d", "p", "q", "dp", "dq", "qi"}.isdisjoint(key)
    assert "max-age=300" in response.headers["Cache-Control"]


def test_rotation_publishes_first_and_signs_after_the_delay(app: Any) -> None:
    with app.app_context():
        first = tool_keys.ensure_key(lti.generate_signing_key)
        second = tool_keys.add_key(lti.generate_signing_key())
        delay = 3600
        assert {k["kid"] for k in tool_keys.published_jwks()} == {first.kid, second.kid}
        # The first key was the only one: it signs at once; the new one is only published.
        assert tool_keys.signing_key(delay).kid == first.kid
        later = utcnow() + timedelta(seconds=delay + 1)
        assert tool_keys.signing_key(delay, now=later).kid == second.kid


def test_the_signing_key_cannot_be_retired(app: Any) -> None:
    with app.app_context():
        first = tool_keys.ensure_key(lti.generate_signing_key)
        with pytest.raises(tool_keys.KeyRetirementError, match="signs with now"):
            tool_keys.retire_key(first.kid, 3600)


def test_retired_key_leaves_the_jwks(app: Any) -> None:
    with app.app_context():
        first = tool_keys.ensure_key(lti.generate_signing_key)
        second = tool_keys.add_key(lti.generate_signing_key())
        # With no delay the newest key signs, so the old one may go.
        tool_keys.retire_key(first.kid, 0)
        assert [k["kid"] for k in tool_keys.published_jwks()] == [second.kid]


def test_keys_cli_rotate_list_retire(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Published key" in result.output
    listing = runner.invoke(args=["keys", "list"]).output
    assert "signing" in listing
    assert "published" in listing
    signing_kid = next(line.split("\t")[0] for line in listing.splitlines() if "signing" in line)
    refused = runner.invoke(args=["keys", "retire", signing_kid])
    assert refused.exit_code != 0
    assert "signs with now" in refused.output
    unknown = runner.invoke(args=["keys", "retire", "nope"])
    assert "No key with id nope" in unknown.output


def test_a_key_id_that_begins_with_a_dash_is_taken_as_the_id(app: Any) -> None:
    # Thumbprints are base64url: about one key in 32 has an id that begins with "-".
    result = app.test_cli_runner().invoke(args=["keys", "retire", "-kAbC"])
    assert "No such option" not in result.output
    assert "No key with id -kAbC" in result.output
