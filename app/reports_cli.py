"""``flask reports``: the aggregate packages for the risk map, their delivery and hand-over."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .content_catalog import catalog
from .services import area_results, delivery, dp_release, report_packages

reports_cli = AppGroup("reports", help="Aggregate packages for the risk map.")


@reports_cli.command("list")
@click.option("--period", help="Only this wave's packages.")
def reports_list(period: str | None) -> None:
    """List packages, oldest first, with their delivery state."""
    found = report_packages.packages(period)
    if not found:
        click.echo("No packages.")
    for p in found:
        message = report_packages.delivery_message(p.id)
        state = "not queued" if message is None else f"{message.status}, tries {message.tries}"
        corrects = f"  supersedes {p.supersedes_id}" if p.supersedes_id else ""
        click.echo(
            f"{p.id}  {p.period:<12} {p.level:<8} {p.row_count:>6} rows  "
            f"created {p.created_at:%Y-%m-%d %H:%M}Z  {state}{corrects}"
        )
        if message is not None and message.last_error:
            click.echo(f"        {message.last_error}")


@reports_cli.command("aggregate")
@click.option("--period", help="Only this period (such as 2026-27-S1).")
@click.option(
    "--early",
    is_flag=True,
    help="Compute the period now, before the day it becomes final: only when every school "
    "that takes part has closed its wave (a wave closed later is never added).",
)
def reports_aggregate(period: str | None, early: bool) -> None:
    """Compute the area figures of every final period not computed yet, and their packages."""
    deliver = delivery.reporting_endpoint(current_app.config) is not None
    try:
        if period is not None:
            found = [
                area_results.aggregate(
                    area_results.period_named(period), catalog(), deliver=deliver, early=early
                )
            ]
        else:
            found = area_results.aggregate_due(catalog(), deliver=deliver)
    except area_results.AreaProblem as problem:
        raise click.ClickException(
            {
                "bad-period": f"{period!r} is not a period: use the form 2026-27-S1.",
                "not-final": f"{period} is not final yet; add --early if every school is done.",
            }.get(problem.reason, problem.reason)
        ) from problem
    if not found:
        click.echo("No period to compute.")
    for result in found:
        rows = len(area_results.stored_rows(result.period))
        outcome = f"blocked: {result.blocked}" if result.blocked else f"{rows} rows"
        click.echo(
            f"{result.period}: {result.schools} schools counted, {result.left_out} left out; "
            f"{outcome}; packages: {len(report_packages.packages(result.period))}"
        )


@reports_cli.command("dp-release")
@click.argument("period")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def reports_dp_release(period: str, folder: Path) -> None:
    """Write differentially private copies of PERIOD's district and region figures to FOLDER
    (the budget is QADAM_DP_EPSILON; the exact packages are not changed)."""
    epsilon = float(current_app.config.get("QADAM_DP_EPSILON") or 0)
    if epsilon <= 0:
        raise click.ClickException(
            "Differentially private releases are off: set QADAM_DP_EPSILON to the privacy "
            "budget of one release (for example 1.0)."
        )
    try:
        written = dp_release.write(dp_release.release(period, epsilon), folder)
    except dp_release.DpProblem as problem:
        raise click.ClickException(
            {
                "epsilon": f"QADAM_DP_EPSILON must be a positive number, not {epsilon!r}.",
                "budget": f"OpenDP found no noise scale within ε = {epsilon}.",
                "not-installed": f"OpenDP is not installed: {dp_release.INSTALL}",
                "no-figures": f"{period} has no stored district or region figures: "
                "run flask reports aggregate first.",
            }.get(problem.reason, problem.reason)
        ) from problem
    for path in written:
        click.echo(str(path))


@reports_cli.command("push")
@click.argument("package_id", required=False)
def reports_push(package_id: str | None) -> None:
    """Deliver now: the package named (even one set aside), or every one not yet delivered."""
    from .lti_tool import tool_conf

    reporting = delivery.reporting_endpoint(current_app.config)
    if reporting is None:
        raise click.ClickException(
            "QADAM_REPORTING_URL is not set; hand packages over with 'flask reports export DIR'."
        )
    try:
        queued = report_packages.queue_for_push(package_id)
    except report_packages.PackageError as exc:
        raise click.ClickException(str(exc)) from exc
    if not queued:
        click.echo("Nothing to deliver.")
        return
    report = delivery.drain_outbox(
        tool_conf(signing=True), reporting=reporting, only=(report_packages.REPORT_KIND,)
    )
    click.echo(f"{report}.")


@reports_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--id", "package_id", help="Only this package.")
@click.option("--period", help="Only this wave's packages.")
def reports_export(folder: Path, package_id: str | None, period: str | None) -> None:
    """Write packages to FOLDER for hand-over by hand: one folder each, three files."""
    chosen = report_packages.packages(period)
    if package_id is not None:
        chosen = [p for p in chosen if p.id == package_id]
        if not chosen:
            raise click.ClickException(f"No package {package_id}.")
    if not chosen:
        click.echo("No packages.")
    for package in chosen:
        click.echo(str(report_packages.export(package, folder)))


@reports_cli.command("verify")
@click.argument("package_folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JWKS file to verify with (default: the keys this Qadam publishes).",
)
def reports_verify(package_folder: Path, jwks_file: Path | None) -> None:
    """Check an exported package: the manifest's signature, every file, the schema."""
    names = (report_packages.DATA_FILE, report_packages.DESCRIPTOR_FILE)
    try:
        files = {name: (package_folder / name).read_bytes() for name in names}
        manifest = (package_folder / report_packages.MANIFEST_FILE).read_text("ascii")
        jwks = (
            json.loads(jwks_file.read_text())
            if jwks_file
            else {"keys": report_packages.published_jwks()}
        )
        checked = report_packages.verify_package(files, manifest, jwks)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"Not verified: {exc}") from exc
    problems = report_packages.validation_problems(files)
    if problems:
        raise click.ClickException("Not valid: " + "; ".join(problems[:10]))
    click.echo(f"Package {checked['package_id']} verified: signature, files and schema.")


@reports_cli.command("rotate-key")
def reports_rotate_key() -> None:
    """Publish a new manifest key; new packages are signed with it, old ones stay verifiable."""
    key = report_packages.add_key()
    click.echo(f"Manifest key {key.kid} published; it signs new packages.")
