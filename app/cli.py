"""Flask commands: platform registration, key rotation, the demo platform."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

import lti

from .services import tool_keys
from .services.lti_store import DatabaseKeyValueStore
from .services.platforms import PlatformInputError, PlatformSpec, list_platforms, save_platform

platform_cli = AppGroup("platform", help="Register LTI platforms (Moodle sites) by hand.")
keys_cli = AppGroup("keys", help="The tool's signing keys.")
demo_cli = AppGroup("demo", help="The built-in demo platform.")
lti_cli = AppGroup("lti", help="LTI housekeeping.")
content_cli = AppGroup("content", help="Lessons and quizzes.")
outbox_cli = AppGroup("outbox", help="Scores waiting to reach the platforms' gradebooks.")


@outbox_cli.command("drain")
def outbox_drain() -> None:
    """Deliver every message that is due now, once (for cron or by hand)."""
    from .services import delivery
    from .views.lti_support import tool_conf

    report = delivery.drain_outbox(tool_conf(signing=True))
    click.echo(f"{report}; {delivery.pending_count()} waiting.")


@outbox_cli.command("work")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between passes.")
def outbox_work(interval: float) -> None:
    """Deliver messages as they become due, until stopped (when web workers do not)."""
    import time

    from .extensions import db
    from .services import delivery
    from .views.lti_support import tool_conf

    while True:
        report = delivery.drain_outbox(tool_conf(signing=True))
        if report.delivered or report.retrying or report.dead:
            click.echo(str(report))
        db.session.remove()
        time.sleep(interval)


@outbox_cli.command("list")
@click.option(
    "--status", type=click.Choice(["pending", "delivered", "dead"]), help="Only these messages."
)
def outbox_list(status: str | None) -> None:
    """List messages, newest first, with their tries and the last error."""
    from .services import delivery

    found = delivery.messages(status)
    if not found:
        click.echo("No messages.")
    for m in found:
        when = m.delivered_at or m.next_try_at
        click.echo(
            f"{m.id:>6}  {m.status:<9} {m.kind:<10} tries {m.tries:<3} "
            f"{'delivered' if m.delivered_at else 'next try'} {when:%Y-%m-%d %H:%M:%S}  "
            f"user {m.payload.get('user_id', '?')} score {m.payload.get('score_given', '?')}"
        )
        if m.last_error:
            click.echo(f"        {m.last_error}")


@outbox_cli.command("replay")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Replay every dead message.")
def outbox_replay(message_ids: tuple[int, ...], all_dead: bool) -> None:
    """Queue dead messages again, after the cause is fixed."""
    from .services import delivery

    if not message_ids and not all_dead:
        raise click.UsageError("Name the messages to replay, or give --all-dead.")
    count = delivery.replay(None if all_dead else message_ids)
    click.echo(f"{count} message(s) queued again.")


@platform_cli.command("add")
@click.option("--issuer", required=True, help="Platform ID, e.g. https://moodle.school.kz")
@click.option("--client-id", required=True, help="Client ID Moodle shows for the tool.")
@click.option("--auth-login-url", required=True, help="Authentication request URL.")
@click.option("--token-url", required=True, help="Access token URL.")
@click.option("--jwks-url", required=True, help="Public keyset URL.")
@click.option("--deployment", "deployments", multiple=True, help="Deployment ID (repeatable).")
@click.option("--name", default="", help="A name to recognise the platform by.")
def platform_add(
    issuer: str,
    client_id: str,
    auth_login_url: str,
    token_url: str,
    jwks_url: str,
    deployments: tuple[str, ...],
    name: str,
) -> None:
    """Register a platform, or add deployments to one already registered."""
    try:
        platform = save_platform(
            PlatformSpec(
                issuer=issuer.strip(),
                client_id=client_id.strip(),
                auth_login_url=auth_login_url.strip(),
                auth_token_url=token_url.strip(),
                jwks_url=jwks_url.strip(),
                name=name.strip(),
            ),
            deployments,
        )
    except PlatformInputError as exc:
        raise click.UsageError(str(exc)) from exc
    current_app.extensions["qadam_origins"].clear()
    ids = ", ".join(d.deployment_id for d in platform.deployments) or "none yet"
    click.echo(f"Registered {platform.issuer} (client {platform.client_id}); deployments: {ids}")
    if not platform.deployments:
        click.echo("Add the deployment ID Moodle shows with --deployment before anyone launches.")


@platform_cli.command("list")
def platform_list() -> None:
    """List registered platforms and their deployments."""
    platforms = list_platforms()
    if not platforms:
        click.echo("No platforms registered.")
        return
    for p in platforms:
        deployments = ", ".join(d.deployment_id for d in p.deployments) or "-"
        click.echo(
            f"{p.id}\t{p.name}\tissuer={p.issuer}\tclient_id={p.client_id}\t"
            f"deployments={deployments}\tregistered_by={p.registered_by}"
        )


@keys_cli.command("list")
def keys_list() -> None:
    """List keys: which signs now, which are published, which are retired."""
    delay = current_app.config["QADAM_KEY_ACTIVATION_DELAY"]
    current = tool_keys.signing_key(delay)
    keys = tool_keys.all_keys()
    if not keys:
        click.echo("No keys yet; the first is made when Qadam first needs one.")
    for k in keys:
        if k.retired_at is not None:
            state = f"retired {k.retired_at:%Y-%m-%d %H:%M}"
        elif current is not None and k.id == current.id:
            state = "signing"
        else:
            state = "published"
        click.echo(f"{k.kid}\tcreated {k.created_at:%Y-%m-%d %H:%M}Z\t{state}")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Publish a new key; it starts signing once platforms have had time to see it."""
    tool_keys.ensure_key(lti.generate_signing_key)
    key = tool_keys.add_key(lti.generate_signing_key())
    delay = current_app.config["QADAM_KEY_ACTIVATION_DELAY"]
    starts = key.created_at + timedelta(seconds=delay)
    click.echo(f"Published key {key.kid}; it signs from {starts:%Y-%m-%d %H:%M}Z.")
    click.echo("Older keys stay in the JWKS until you run 'flask keys retire KID'.")


@keys_cli.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Remove a key that no longer signs from the JWKS."""
    try:
        key = tool_keys.retire_key(kid, current_app.config["QADAM_KEY_ACTIVATION_DELAY"])
    except tool_keys.KeyRetirementError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Retired key {key.kid}.")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Register the built-in demo platform with this tool (QADAM_DEMO must be on)."""
    if not current_app.config["QADAM_DEMO"]:
        raise click.ClickException("The demo platform is off; set QADAM_DEMO=1 to use it.")
    from .demo import register_demo_platform

    platform = register_demo_platform(current_app)
    click.echo(f"Demo platform registered: {platform.issuer}; open {platform.issuer} to launch.")


@lti_cli.command("sweep")
def lti_sweep() -> None:
    """Delete expired nonces, login states and launches."""
    click.echo(f"Deleted {DatabaseKeyValueStore().sweep()} expired entries.")


@content_cli.command("check")
@click.option("--verbose", "-v", is_flag=True, help="Also list each graded quiz's blind score.")
def content_check(verbose: bool) -> None:
    """Check every lesson and quiz; list all problems as path:line: field: message."""
    from collections import Counter
    from pathlib import Path

    from .content import ContentErrors
    from .content.loader import Report
    from .content.quiz_loader import read_quizzes
    from .content_catalog import load_from_disk
    from .services import content_checks

    root = Path(current_app.config["QADAM_CONTENT_ROOT"])
    problems = []
    catalog = None
    try:
        catalog = load_from_disk(root)
        quizzes = catalog.quizzes
    except ContentErrors as exc:
        problems += exc.problems
        quizzes = read_quizzes(root / "quizzes", Report(root))  # the sound ones
    problems += content_checks.quality_problems(root, quizzes)
    for problem in problems:
        click.echo(str(problem), err=True)
    graded = sorted((q for q in quizzes.values() if q.graded), key=lambda q: q.id)
    blind = {quiz.id: content_checks.worst_blind_score(quiz) for quiz in graded}
    if verbose:
        click.echo("Worst blind score per graded quiz:")
        for quiz_id, worst in blind.items():
            click.echo(f"  {worst.score:>4.0%}  {quiz_id}  ({worst.describe()})")
    over = sum(1 for worst in blind.values() if worst.score > content_checks.BLIND_LIMIT)
    click.echo(
        f"{over} of {len(graded)} graded quizzes score above "
        f"{content_checks.BLIND_LIMIT:.0%} when answered blind."
    )
    if problems or catalog is None:
        raise click.ClickException(f"{len(problems)} problem(s) in the content.")
    counts = Counter((lesson.band.value, lesson.format.value) for lesson in catalog.lessons)
    questions = sum(len(quiz.questions) for quiz in quizzes.values())
    click.echo(
        f"{len(catalog.lessons)} lessons and {len(quizzes)} quizzes ({questions} questions), "
        "all in kk, ru and en, no problems."
    )
    for (band, fmt), n in sorted(counts.items()):
        click.echo(f"  {band:<10} {fmt:<13} {n}")


def register_cli(app: Flask) -> None:
    for group in (platform_cli, keys_cli, demo_cli, lti_cli, content_cli, outbox_cli):
        app.cli.add_command(group)
