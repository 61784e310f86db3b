"""Registering platforms by hand: flask platform add / list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

ARGS = [
    "platform",
    "add",
    "--issuer",
    "https://moodle.school.kz",
    "--client-id",
    "abc123",
    "--auth-login-url",
    "https://moodle.school.kz/mod/lti/auth.php",
    "--token-url",
    "https://moodle.school.kz/mod/lti/token.php",
    "--jwks-url",
    "https://moodle.school.kz/mod/lti/certs.php",
]


def test_add_then_list_and_add_deployments(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=[*ARGS, "--deployment", "1"])
    assert result.exit_code == 0, result.output
    assert "deployments: 1" in result.output
    result = runner.invoke(args=[*ARGS, "--deployment", "2", "--deployment", "1"])
    assert "deployments: 1, 2" in result.output
    listing = runner.invoke(args=["platform", "list"]).output
    assert "issuer=https://moodle.school.kz" in listing
    assert "client_id=abc123" in listing
    assert "deployments=1, 2" in listing


def test_bad_url_is_refused_in_plain_words(app: Any) -> None:
    runner = app.test_cli_runner()
    args = list(ARGS)
    args[args.index("--jwks-url") + 1] = "certs.php"
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "The public keyset URL must be an http or https URL" in result.output


def test_platform_without_deployment_is_flagged(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=ARGS)
    assert "Add the deployment ID" in result.output


def test_empty_list(app: Any) -> None:
    assert (
        "No platforms registered." in app.test_cli_runner().invoke(args=["platform", "list"]).output
    )


def test_demo_seed_refuses_when_demo_is_off(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "QADAM_DEMO=1" in result.output


def stored_platform(app: Any) -> tuple[str, str, str | None, list[str]]:
    from app.extensions import db
    from app.models import Platform

    with app.app_context():
        p = db.session.query(Platform).one()
        return (
            p.auth_login_url,
            p.auth_token_url,
            p.jwks_url,
            [d.deployment_id for d in p.deployments],
        )


def with_url(args: list[str], option: str, value: str) -> list[str]:
    args = list(args)
    args[args.index(option) + 1] = value
    return args


def test_add_again_keeps_the_urls_without_replace(app: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=[*ARGS, "--deployment", "1"]).exit_code == 0
    moved = with_url(ARGS, "--jwks-url", "https://elsewhere.example/certs.php")
    result = runner.invoke(args=[*moved, "--deployment", "2"])
    assert result.exit_code != 0
    assert "already registered with other URLs" in result.output
    assert "--replace" in result.output
    assert stored_platform(app) == (
        "https://moodle.school.kz/mod/lti/auth.php",
        "https://moodle.school.kz/mod/lti/token.php",
        "https://moodle.school.kz/mod/lti/certs.php",
        ["1"],
    )


def test_add_with_replace_replaces_the_urls(app: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=[*ARGS, "--deployment", "1"]).exit_code == 0
    moved = with_url(ARGS, "--jwks-url", "https://keys.school.kz/certs.php")
    moved = with_url(moved, "--token-url", "https://keys.school.kz/token.php")
    result = runner.invoke(args=[*moved, "--deployment", "2", "--replace"])
    assert result.exit_code == 0, result.output
    assert stored_platform(app) == (
        "https://moodle.school.kz/mod/lti/auth.php",
        "https://keys.school.kz/token.php",
        "https://keys.school.kz/certs.php",
        ["1", "2"],
    )


def test_invite_prints_a_single_use_url_and_stores_only_its_hash(app: Any) -> None:
    import hashlib

    from app.extensions import db
    from app.models import LtiStoreEntry

    result = app.test_cli_runner().invoke(
        args=["platform", "invite", "--expires-in", "12h", "--note", "Lyceum 3, Oral"]
    )
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith("http://qadam.test/lti/register/")
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 40
    assert "works once" in result.output
    with app.app_context():
        rows = db.session.query(LtiStoreEntry).all()
        assert [r.key for r in rows] == [
            "registration-invite-" + hashlib.sha256(token.encode()).hexdigest()
        ]
        assert token not in repr([(r.key, r.value) for r in rows])
        hours = (rows[0].expires_at - datetime.now(UTC)).total_seconds() / 3600
        assert 11.9 < hours <= 12


def test_invite_lasts_seven_days_by_default(app: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["platform", "invite"]).exit_code == 0
    listing = runner.invoke(args=["platform", "invites"]).output
    created, expires = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d)Z", listing)
    gap = datetime.fromisoformat(expires) - datetime.fromisoformat(created)
    assert timedelta(days=7) - timedelta(minutes=1) <= gap <= timedelta(days=7)


def test_invites_are_listed_without_their_urls_and_can_be_revoked(app: Any) -> None:
    runner = app.test_cli_runner()
    url = runner.invoke(args=["platform", "invite", "--note", "School 12"]).stdout.strip()
    token = url.rsplit("/", 1)[1]
    other = runner.invoke(args=["platform", "invite", "--expires-in", "3d"]).stdout.strip()
    listing = runner.invoke(args=["platform", "invites"]).output
    assert "School 12" in listing
    assert token not in listing
    assert "created" in listing
    assert "expires" in listing
    invite_id = listing.split()[0]
    revoked = runner.invoke(args=["platform", "revoke-invite", invite_id])
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(args=["platform", "revoke-invite", other]).exit_code == 0
    assert "No open invitations." in runner.invoke(args=["platform", "invites"]).output
    again = runner.invoke(args=["platform", "revoke-invite", invite_id])
    assert again.exit_code != 0
    assert "No open invitation" in again.output


def test_invite_refuses_a_bad_duration(app: Any) -> None:
    runner = app.test_cli_runner()
    for value in ("7 weeks", "0d", "400d"):
        result = runner.invoke(args=["platform", "invite", "--expires-in", value])
        assert result.exit_code != 0, value
    assert "No open invitations." in runner.invoke(args=["platform", "invites"]).output


def test_demo_seed_twice_keeps_one_demo_platform(make_app: Any) -> None:
    app = make_app(QADAM_DEMO=True)
    runner = app.test_cli_runner()
    # Its own app context: the CLI runner reuses any context an earlier test left pushed.
    with app.app_context():
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
        again = runner.invoke(args=["demo", "seed"])
        assert again.exit_code == 0, again.output
        listing = runner.invoke(args=["platform", "list"]).output
    assert len(listing.strip().splitlines()) == 1
