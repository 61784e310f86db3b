"""Flask commands: platform registration, key rotation, the demo platform."""

from __future__ import annotations

import re
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

import lti

from .extensions import db
from .models import Platform, School
from .reports_cli import reports_cli
from .services import areas, coordinators, schools, tool_keys
from .services import registration_invites as invites
from .services.lti_store import DatabaseKeyValueStore
from .services.platforms import (
    IfRegistered,
    PlatformInputError,
    PlatformSpec,
    list_platforms,
    save_platform,
)
from .talk_cli import talk_cli

platform_cli = AppGroup(
    "platform", help="Register LTI platforms (Moodle sites), or invite one to register itself."
)
keys_cli = AppGroup("keys", help="The tool's signing keys.")
demo_cli = AppGroup("demo", help="The built-in demo platform.")
lti_cli = AppGroup("lti", help="LTI housekeeping.")
content_cli = AppGroup("content", help="Lessons, quizzes and surveys.")
outbox_cli = AppGroup(
    "outbox", help="Scores for the gradebooks, and packages for the risk map, waiting to go."
)
school_cli = AppGroup("school", help="Schools: every class belongs to one.")
area_cli = AppGroup("area", help="Areas: the KATO regions and districts schools are mapped to.")
coordinator_cli = AppGroup(
    "coordinator", help="Coordinator rights: one-time codes for school staff, and grants."
)


def _platform(issuer: str, client_id: str | None) -> Platform:
    found = [
        p
        for p in list_platforms()
        if p.issuer == issuer.strip() and (client_id is None or p.client_id == client_id)
    ]
    if len(found) != 1:
        raise click.UsageError(
            f"No single registered platform {issuer!r}"
            + (f" with client ID {client_id!r}" if client_id else "")
            + ": see `flask platform list` (and give --client-id when there are several)."
        )
    return found[0]


def _school_for_code(school_id: int | None, issuer: str | None, client_id: str | None) -> School:
    if school_id is not None:
        found = schools.school(school_id)
        if found is None:
            raise click.UsageError(f"No school {school_id}: see `flask school list`.")
        return found
    if not issuer:
        raise click.UsageError("Name the school with --school ID (or the site with --issuer).")
    platform = _platform(issuer, client_id)
    rows = schools.list_schools(platform.id)
    if not rows and len(platform.deployments) == 1:
        found_id = schools.school_for_launch(platform.id, platform.deployments[0].id, None)
        db.session.commit()
        return schools.school(found_id)  # type: ignore[return-value]
    if len(rows) != 1:
        raise click.UsageError(
            f"{platform.issuer} has {len(rows)} schools: choose one with --school ID "
            "(see `flask school list`)."
        )
    return schools.school(rows[0].id)  # type: ignore[return-value]


@coordinator_cli.command("code")
@click.option("--school", "school_id", type=int, help="The school (see `flask school list`).")
@click.option(
    "--area",
    "area_code",
    default=None,
    help="Or a region's or district's KATO code, for area staff (see `flask area list`); "
    "with --issuer when several Moodle sites are registered.",
)
@click.option("--issuer", default=None, help="Or the Moodle site, when it has one school.")
@click.option("--client-id", default=None, help="Its client ID, if the site is registered twice.")
@click.option(
    "--hours",
    default=coordinators.DEFAULT_CODE_HOURS,
    show_default=True,
    type=click.IntRange(1, 24 * 30),
    help="How long the code can be used.",
)
@click.option(
    "--safeguarding",
    is_flag=True,
    help="The person is designated safeguarding staff (school psychologist, anti-bullying team).",
)
def coordinator_code(
    school_id: int | None,
    area_code: str | None,
    issuer: str | None,
    client_id: str | None,
    hours: int,
    safeguarding: bool,
) -> None:
    """Print a one-time code that makes a staff member a coordinator of a school, or of an
    area (district or region staff, who see the schools mapped into it)."""
    if area_code is not None:
        _area_code(area_code, school_id, issuer, client_id, hours, safeguarding)
        return
    school = _school_for_code(school_id, issuer, client_id)
    code = coordinators.make_code(
        school.platform_id,
        school.id,
        safeguarding=safeguarding,
        granted_by="operator",
        hours=hours,
    )
    click.echo(code)
    click.echo(
        f"For {school.name}: valid once, for {hours} hours. The staff member opens Qadam from a "
        "Moodle course where they are a teacher, chooses “I have a coordinator code” and "
        "enters it.",
        err=True,
    )


def _area_code(
    code: str,
    school_id: int | None,
    issuer: str | None,
    client_id: str | None,
    hours: int,
    safeguarding: bool,
) -> None:
    if school_id is not None:
        raise click.UsageError("A code is for a school (--school) or an area (--area), not both.")
    if safeguarding:
        raise click.UsageError(
            "Designated safeguarding staff belong to a school: --safeguarding needs --school."
        )
    try:
        found = areas.usable_area(code)
    except areas.AreaInputError as exc:
        raise click.UsageError(str(exc)) from exc
    if issuer:
        platform = _platform(issuer, client_id)
    else:
        registered = list_platforms()
        if len(registered) != 1:
            raise click.UsageError("Name the staff member's Moodle site with --issuer.")
        platform = registered[0]
    made = coordinators.make_code(
        platform.id, None, area_code=found.kato, granted_by="operator", hours=hours
    )
    click.echo(made)
    click.echo(
        f"For the {found.level} {found.name_en} ({found.kato}) on {platform.issuer}: valid once, "
        f"for {hours} hours. The staff member opens Qadam from a Moodle course where they are a "
        "teacher, chooses “I have a coordinator code” and enters it.",
        err=True,
    )


@school_cli.command("list")
@click.option("--issuer", default=None, help="Only the schools of this Moodle site.")
def school_list(issuer: str | None) -> None:
    """List schools: id, Moodle site, key, name, number of classes."""
    platform_id = _platform(issuer, None).id if issuer else None
    rows = schools.list_schools(platform_id)
    if not rows:
        click.echo("No schools yet: a school appears with its first launch, or add one.")
    for row in rows:
        where = (
            f"kato={row.kato_locality} district={row.kato_district} region={row.kato_region} "
            f"(KATO {row.kato_version})"
            if row.kato_locality
            else "kato=not mapped"
        )
        click.echo(f"{row.id}\t{row.issuer}\t{row.key}\t{row.name}\tclasses={row.classes}\t{where}")


@school_cli.command("add")
@click.option("--issuer", required=True, help="The Moodle site (platform ID).")
@click.option("--client-id", default=None, help="Its client ID, if the site is registered twice.")
@click.option(
    "--key",
    required=True,
    help="The value Moodle's administrator gives the custom parameter qadam_school=KEY "
    "on the school's courses or category.",
)
@click.option("--name", required=True, help="The school's name as people know it.")
def school_add(issuer: str, client_id: str | None, key: str, name: str) -> None:
    """Add a school that courses name with a custom launch parameter."""
    platform = _platform(issuer, client_id)
    try:
        school = schools.add_school(platform.id, key, name)
    except schools.SchoolInputError as exc:
        raise click.UsageError(str(exc)) from exc
    param = current_app.config["QADAM_SCHOOL_PARAM"]
    click.echo(
        f"School {school.id} added. In Moodle, give its courses (or their category) the custom "
        f"parameter {param}={key}. Classes keep the school of their first launch."
    )


@school_cli.command("rename")
@click.argument("school_id", type=int)
@click.argument("name")
def school_rename(school_id: int, name: str) -> None:
    """Rename a school."""
    try:
        schools.rename(school_id, name)
    except schools.SchoolInputError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"School {school_id} is now {name.strip()!r}.")


@school_cli.command("merge")
@click.argument("from_id", type=int)
@click.argument("into_id", type=int)
def school_merge(from_id: int, into_id: int) -> None:
    """Move every class and coordinator of school FROM_ID into INTO_ID, and remove FROM_ID."""
    try:
        moved = schools.merge(from_id, into_id)
    except schools.SchoolInputError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"{moved} class(es) moved into school {into_id}; school {from_id} removed.")


@school_cli.command("map")
@click.argument("school_id", type=int)
@click.option("--kato", "locality", required=True, help="The school's 9-digit KATO locality code.")
@click.option(
    "--district",
    default=None,
    help="The district's KATO code, when the locality code does not begin with it "
    "(it must be in the same region).",
)
def school_map(school_id: int, locality: str, district: str | None) -> None:
    """Map a school to its KATO locality; its district and region come from the area lists."""
    try:
        mapping = areas.map_school(school_id, locality, district)
    except areas.AreaInputError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(
        f"School {school_id}: locality {mapping.locality}, district {mapping.district.kato} "
        f"({mapping.district.name_en}), region {mapping.region.kato} ({mapping.region.name_en}), "
        f"KATO {mapping.version}."
    )


@area_cli.command("import")
@click.option(
    "--version",
    "version",
    default=areas.CURRENT_VERSION,
    show_default=True,
    help="The KATO version of the shipped lists to import.",
)
def area_import(version: str) -> None:
    """Import (or update) the region and district lists; run again after an upgrade."""
    try:
        report = areas.import_lists(version)
    except (OSError, areas.AreaInputError) as exc:
        raise click.ClickException(f"Cannot import the KATO {version} lists: {exc}") from exc
    click.echo(
        f"KATO {version}: {report.regions} regions, {report.districts} districts "
        f"({report.added} added, {report.updated} updated, {report.retired} retired)."
    )


@area_cli.command("list")
@click.option("--region", default=None, help="List this region's districts instead.")
def area_list(region: str | None) -> None:
    """List the regions (or one region's districts): KATO code, names en/kk/ru."""
    try:
        rows = areas.list_areas(region)
    except areas.AreaInputError as exc:
        raise click.UsageError(str(exc)) from exc
    if not rows:
        click.echo("No areas: run `flask area import` (or check the region code).")
    for row in rows:
        retired = "\tretired" if row.retired else ""
        click.echo(f"{row.kato}\t{row.name_en}\t{row.name_kk}\t{row.name_ru}{retired}")


@coordinator_cli.command("list")
def coordinator_list() -> None:
    """List coordinator grants: id, Moodle site, Moodle user id, safeguarding, who granted."""
    rows = coordinators.grants()
    if not rows:
        click.echo("No coordinator grants.")
    for row in rows:
        click.echo(
            f"{row.id}\t{row.issuer}\t{row.school}\tuser={row.sub}\t"
            f"safeguarding={'yes' if row.safeguarding else 'no'}\tby={row.granted_by}\t"
            f"{row.created_at:%Y-%m-%d}"
        )


@coordinator_cli.command("revoke")
@click.argument("grant_id", type=int)
def coordinator_revoke(grant_id: int) -> None:
    """Remove a grant: the person is a teacher again from their next launch."""
    if not coordinators.revoke(grant_id):
        raise click.ClickException(f"No coordinator grant {grant_id}.")
    click.echo(f"Grant {grant_id} revoked.")


@outbox_cli.command("drain")
def outbox_drain() -> None:
    """Deliver every message that is due now, once (for cron or by hand)."""
    from .lti_tool import tool_conf
    from .services import delivery

    reporting = delivery.reporting_endpoint(current_app.config)
    report = delivery.drain_outbox(tool_conf(signing=True), reporting=reporting)
    click.echo(f"{report}; {delivery.pending_count()} waiting.")


@outbox_cli.command("work")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between passes.")
def outbox_work(interval: float) -> None:
    """Deliver messages as they become due, until stopped (when web workers do not)."""
    import time

    from .extensions import db
    from .lti_tool import tool_conf
    from .services import delivery

    reporting = delivery.reporting_endpoint(current_app.config)
    while True:
        report = delivery.drain_outbox(tool_conf(signing=True), reporting=reporting)
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
        what = (
            f"package {m.payload['package_id']}"
            if "package_id" in m.payload
            else f"user {m.payload.get('user_id', '?')} score {m.payload.get('score_given', '?')}"
        )
        click.echo(
            f"{m.id:>6}  {m.status:<9} {m.kind:<14} tries {m.tries:<3} "
            f"{'delivered' if m.delivered_at else 'next try'} {when:%Y-%m-%d %H:%M:%S}  {what}"
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
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the URLs of a platform already registered with this issuer and client ID.",
)
def platform_add(
    issuer: str,
    client_id: str,
    auth_login_url: str,
    token_url: str,
    jwks_url: str,
    deployments: tuple[str, ...],
    name: str,
    replace: bool,
) -> None:
    """Register a platform, or add deployments to one already registered.

    A registered platform keeps its URLs and keys unless --replace is given.
    """
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
            if_registered=IfRegistered.REPLACE if replace else IfRegistered.ADD_DEPLOYMENTS,
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


def _duration(value: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d{1,4})\s*([dhm])\s*", value.lower())
    if not match:
        raise click.BadParameter("write it as days, hours or minutes: 7d, 12h, 30m.")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


@platform_cli.command("invite")
@click.option(
    "--expires-in",
    "expires_in",
    default="7d",
    show_default=True,
    help="How long the invitation works: days, hours or minutes (7d, 12h, 30m).",
)
@click.option("--note", default="", help="A note shown on the confirmation page, e.g. the school.")
def platform_invite(expires_in: str, note: str) -> None:
    """Print a single-use registration URL to paste into Moodle's Tool URL."""
    from .lti_tool import tool_url

    try:
        token, invite = invites.create_invite(_duration(expires_in), note)
    except invites.InviteInputError as exc:
        raise click.UsageError(str(exc)) from exc
    with current_app.test_request_context():
        url = tool_url("lti.register_start", token=token)
    click.echo(url)
    click.echo(
        f"Invitation {invite.id}: works once, until {invite.expires_at:%Y-%m-%d %H:%M} UTC. "
        "Paste the URL into Moodle's Tool URL (Manage tools) and press Add LTI Advantage.",
        err=True,
    )


@platform_cli.command("invites")
def platform_invites() -> None:
    """List open registration invitations (never their URLs)."""
    found = invites.open_invites()
    if not found:
        click.echo("No open invitations.")
    for invite in found:
        click.echo(
            f"{invite.id}\tcreated {invite.created_at:%Y-%m-%d %H:%M}Z\t"
            f"expires {invite.expires_at:%Y-%m-%d %H:%M}Z\t{invite.note}"
        )


@platform_cli.command("revoke-invite")
@click.argument("invite")
def platform_revoke_invite(invite: str) -> None:
    """Withdraw an open invitation, named by its id (as listed) or its URL."""
    try:
        revoked = invites.revoke_invite(invite)
    except invites.InviteInputError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Revoked invitation {revoked.id}.")


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


# A key id is a base64url thumbprint and may begin with "-": take it as the id, not an option.
@keys_cli.command("retire", context_settings={"ignore_unknown_options": True})
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
    """Delete expired entries of the shared store: launches, cached key sets, codes, invitations."""
    click.echo(f"Deleted {DatabaseKeyValueStore().sweep()} expired entries.")


@content_cli.command("check")
@click.option("--verbose", "-v", is_flag=True, help="Also list each graded quiz's blind score.")
def content_check(verbose: bool) -> None:
    """Check every lesson, quiz and survey; list all problems as path:line: field: message."""
    from collections import Counter
    from pathlib import Path

    from .content import ContentErrors
    from .content.loader import Report
    from .content.quiz_loader import read_quizzes
    from .content.survey_loader import read_surveys
    from .content_catalog import content_key, load_from_disk, save_compiled
    from .services import content_checks

    root = Path(current_app.config["QADAM_CONTENT_ROOT"])
    key = content_key(root)
    problems = []
    catalog = None
    try:
        catalog = load_from_disk(root)
        quizzes, surveys = catalog.quizzes, catalog.surveys
    except ContentErrors as exc:
        problems += exc.problems
        quizzes = read_quizzes(root / "quizzes", Report(root))  # the sound ones
        surveys = read_surveys(root / "quizzes", Report(root))
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
    items = sum(len(survey.items) for survey in surveys.values())
    indicators = sum(len(survey.indicators) for survey in surveys.values())
    click.echo(
        f"{len(surveys)} sound survey instruments checked ({items} items, {indicators} indicators)."
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
    # Checked clean: keep it compiled, so the web processes start without parsing.
    if save_compiled(current_app, root, catalog, key):
        click.echo("Compiled catalog stored for serving.")


def register_cli(app: Flask) -> None:
    for group in (
        platform_cli,
        keys_cli,
        demo_cli,
        lti_cli,
        content_cli,
        outbox_cli,
        coordinator_cli,
        area_cli,
        school_cli,
        talk_cli,
        reports_cli,
    ):
        app.cli.add_command(group)
