"""``flask talk``: housekeeping of the requests to talk to someone."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .models.base import utc_today
from .services import talk

talk_cli = AppGroup("talk", help="Requests to talk to someone at school.")


@talk_cli.command("sweep")
@click.option(
    "--days",
    type=click.IntRange(0),
    default=None,
    help="Erase requests closed at least this many days ago (default: QADAM_TALK_RETENTION_DAYS).",
)
def talk_sweep(days: int | None) -> None:
    """Erase closed requests past their retention period (run daily from cron)."""
    kept_for = current_app.config["QADAM_TALK_RETENTION_DAYS"] if days is None else days
    erased = talk.sweep(utc_today(), kept_for)
    click.echo(f"{erased} closed request(s) erased (kept {kept_for} days after closing).")
