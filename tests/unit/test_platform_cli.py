"""Registering platforms by hand: flask platform add / list."""

from __future__ import annotations

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
