"""Aggregate packages for the risk map: rows -> a validated Frictionless Data Package, signed.

A package holds one wave's aggregates at one area level (regions, or districts and cities):
``aggregates.csv`` (stdlib ``csv``, UTF-8, LF line ends, rows in a fixed order) and
``datapackage.json`` (a Table Schema with types, required fields, enums and a primary key).
``frictionless`` validates both before anything is stored. A manifest, a compact JWS signed
with ES256 by the tool's manifest key (published in its JWKS), lists each file's SHA-256 and
size. Packages never change: a correction is a new package that ``supersedes`` the old one.

The rows come from the results engine exactly as PRIVACY.md section 3 defines them; this
module checks their shape (a suppressed cell carries no numbers) but does not suppress.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

import lti

from ..extensions import db
from ..models import OutboxMessage, ReportKey, ReportPackage
from ..models.base import utcnow

REPORT_KIND = "report-package"
DATA_FILE = "aggregates.csv"
DESCRIPTOR_FILE = "datapackage.json"
MANIFEST_FILE = "manifest.jws"
MANIFEST_VERSION = "qadam-manifest-v1"

OK, PRIMARY, SECONDARY, BELOW_GATE, UNAVAILABLE = (
    "ok",
    "suppressed_primary",
    "suppressed_secondary",
    "below_gate",
    "unavailable",
)
# SDMX OBS_CONF: F free, A primary confidentiality, D secondary. A cell below the gate is
# withheld for its small count, like a primary suppression. An unavailable cell (a
# participation rate where no roster size is known) withholds nothing: it has no number.
CONF_FOR_STATUS = {OK: "F", PRIMARY: "A", SECONDARY: "D", BELOW_GATE: "A", UNAVAILABLE: "F"}
# The levels delivered to the risk reporting layer, and the rows each holds: a city of
# republican significance stands with the regions, a city of regional significance with the
# districts. Schools and classes never leave Qadam.
PACKAGE_LEVELS: dict[str, tuple[str, ...]] = {
    "region": ("region", "city"),
    "district": ("district", "city"),
}
KATO = r"^[0-9]{9}$"
PERIOD = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
INDICATOR = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$"


class PackageError(ValueError):
    """The rows or files do not make a valid package; ``problems`` lists each reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems[:20]))
        self.problems = list(problems)


class ManifestMismatch(ValueError):
    """The files do not match their signed manifest, or the manifest does not verify."""


Number = int | float | Decimal


@dataclass(frozen=True)
class AggregateRow:
    """One aggregate as PRIVACY.md section 3 defines it (one per area, period and indicator)."""

    area_code: str
    area_level: str
    parent_code: str | None
    kato_version: str
    period: str
    indicator: str
    numerator: int | None
    denominator: int | None
    value: Number | None
    status: str
    conf: str
    method: str


COLUMNS = tuple(f.name for f in fields(AggregateRow))


@dataclass(frozen=True)
class BuiltPackage:
    package_id: str
    period: str
    level: str
    row_count: int
    files: dict[str, bytes]  # aggregates.csv and datapackage.json


# -- the rows ------------------------------------------------------------------------------


def row_problems(row: AggregateRow, period: str, level: str) -> list[str]:
    """Every way ``row`` breaks the package's rules (empty when it is fine)."""
    where = f"{row.area_code}/{row.indicator}"
    problems: list[str] = []
    if row.period != period:
        problems.append(f"{where}: period {row.period!r} is not the package's {period!r}")
    if row.area_level not in PACKAGE_LEVELS[level]:
        problems.append(
            f"{where}: area level {row.area_level!r} does not belong in a {level} package"
        )
    if not re.match(KATO, row.area_code):
        problems.append(f"{where}: area code must be a 9-digit KATO code")
    if row.parent_code is not None and not re.match(KATO, row.parent_code):
        problems.append(f"{where}: parent code must be a 9-digit KATO code")
    if not re.match(INDICATOR, row.indicator):
        problems.append(f"{where}: indicator code {row.indicator!r} is not well formed")
    if not row.kato_version or not row.method:
        problems.append(f"{where}: kato_version and method are required")
    if row.status not in CONF_FOR_STATUS:
        problems.append(f"{where}: unknown status {row.status!r}")
    elif row.conf != CONF_FOR_STATUS[row.status]:
        problems.append(f"{where}: conf {row.conf!r} does not match status {row.status!r}")
    problems += _number_problems(row, where)
    return problems


def _number_problems(row: AggregateRow, where: str) -> list[str]:
    numbers = (row.numerator, row.denominator, row.value)
    if row.status != OK:
        if any(n is not None for n in numbers):
            return [f"{where}: a {row.status} cell must carry no numbers"]
        return []
    if row.numerator is None or row.denominator is None or row.value is None:
        return [f"{where}: a shown cell needs numerator, denominator and value"]
    if isinstance(row.numerator, bool) or isinstance(row.denominator, bool):
        return [f"{where}: counts must be whole numbers"]
    if not isinstance(row.numerator, int) or not isinstance(row.denominator, int):
        return [f"{where}: counts must be whole numbers"]
    if not 0 <= row.numerator <= row.denominator:
        return [f"{where}: numerator must be between 0 and the denominator"]
    return []


def check_rows(rows: Iterable[AggregateRow], period: str, level: str) -> list[AggregateRow]:
    """Return the rows in the package's order, or raise PackageError listing every problem."""
    if level not in PACKAGE_LEVELS:
        raise PackageError([f"no package level {level!r} (only {', '.join(PACKAGE_LEVELS)})"])
    if not re.match(PERIOD, period):
        raise PackageError([f"period {period!r} is not well formed"])
    ordered = sorted(rows, key=lambda r: (r.area_code, r.indicator))
    problems = [p for row in ordered for p in row_problems(row, period, level)]
    seen: set[tuple[str, str]] = set()
    for row in ordered:
        key = (row.area_code, row.indicator)
        if key in seen:
            problems.append(f"{row.area_code}/{row.indicator}: appears twice")
        seen.add(key)
    if not ordered:
        problems.append("a package needs at least one row")
    if problems:
        raise PackageError(problems)
    return ordered


# -- the files -----------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    return str(value)


def csv_bytes(rows: Sequence[AggregateRow]) -> bytes:
    """The rows as CSV: a header, one line per row, LF line ends, UTF-8 without a BOM."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def table_schema(period: str, level: str) -> dict[str, Any]:
    """The Table Schema of a package's CSV."""

    def text(name: str, **constraints: Any) -> dict[str, Any]:
        return {"name": name, "type": "string", "constraints": constraints}

    def whole(name: str) -> dict[str, Any]:
        return {"name": name, "type": "integer", "constraints": {"minimum": 0}}

    return {
        "fields": [
            text("area_code", required=True, pattern=KATO[1:-1]),
            text("area_level", required=True, enum=list(PACKAGE_LEVELS[level])),
            text("parent_code", pattern=KATO[1:-1]),
            text("kato_version", required=True),
            text("period", required=True, enum=[period]),
            text("indicator", required=True, pattern=INDICATOR[1:-1]),
            whole("numerator"),
            whole("denominator"),
            {"name": "value", "type": "number", "constraints": {"minimum": 0}},
            text("status", required=True, enum=list(CONF_FOR_STATUS)),
            text("conf", required=True, enum=sorted(set(CONF_FOR_STATUS.values()))),
            text("method", required=True),
        ],
        "primaryKey": ["area_code", "period", "indicator"],
        "missingValues": [""],
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def descriptor(
    data: bytes,
    *,
    period: str,
    level: str,
    package_id: str,
    created: datetime,
    supersedes: str | None,
    description: str | None = None,
) -> dict[str, Any]:
    """The ``datapackage.json`` of a package whose CSV is ``data``; ``description``: how the
    figures were made (the method in words)."""
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": f"qadam-aggregates-{period.lower()}-{level}",
        "id": f"urn:uuid:{package_id}",
        "title": f"Qadam survey aggregates, {period}, {level} level",
        "created": _iso(created),
        "version": "1.0.0",
        "qadam:period": period,
        "qadam:level": level,
        "qadam:supersedes": f"urn:uuid:{supersedes}" if supersedes else None,
        "resources": [
            {
                "name": "aggregates",
                "path": DATA_FILE,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(data),
                "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                "dialect": {
                    "delimiter": ",",
                    "lineTerminator": "\n",
                    "quoteChar": '"',
                    "doubleQuote": True,
                    "header": True,
                },
                "schema": table_schema(period, level),
            }
        ],
    }
    if supersedes is None:
        del package["qadam:supersedes"]
    if description:
        package["description"] = description
    return package


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def validation_problems(files: Mapping[str, bytes]) -> list[str]:
    """What ``frictionless`` finds wrong with a package's files (empty when valid)."""
    import frictionless  # imported here: a second or so, needed only when packages are built

    folder = Path(tempfile.mkdtemp(prefix="qadam-package-"))
    try:
        for name, content in files.items():
            if name not in (DATA_FILE, DESCRIPTOR_FILE):
                return [f"unexpected file {name!r}"]
            (folder / name).write_bytes(content)
        if set(files) != {DATA_FILE, DESCRIPTOR_FILE}:
            return [f"a package is {DATA_FILE} and {DESCRIPTOR_FILE}"]
        try:
            report = frictionless.validate(str(folder / DESCRIPTOR_FILE))
        except frictionless.FrictionlessException as exc:
            return [str(exc)]
        return [f"{kind}: {note}" for kind, note in report.flatten(["type", "note"])]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build_package(
    rows: Iterable[AggregateRow],
    *,
    period: str,
    level: str,
    package_id: str,
    created: datetime,
    supersedes: str | None = None,
    description: str | None = None,
) -> BuiltPackage:
    """Write and validate a package's files; the same rows always give the same bytes."""
    ordered = check_rows(rows, period, level)
    data = csv_bytes(ordered)
    meta = descriptor(
        data,
        period=period,
        level=level,
        package_id=package_id,
        created=created,
        supersedes=supersedes,
        description=description,
    )
    files = {DATA_FILE: data, DESCRIPTOR_FILE: _json_bytes(meta)}
    problems = validation_problems(files)
    if problems:
        raise PackageError(problems)
    return BuiltPackage(package_id, period, level, len(ordered), files)


# -- the manifest --------------------------------------------------------------------------


def manifest_payload(built: BuiltPackage, created: datetime, supersedes: str | None) -> dict:
    """What the manifest says: the package, and each file's SHA-256 and size."""
    return {
        "typ": MANIFEST_VERSION,
        "package_id": built.package_id,
        "period": built.period,
        "level": built.level,
        "created": _iso(created),
        "supersedes": supersedes,
        "files": [
            {"path": name, "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
            for name, content in sorted(built.files.items())
        ],
    }


def verify_package(
    files: Mapping[str, bytes], manifest_jws: str, jwks: Mapping[str, Any]
) -> dict[str, Any]:
    """Check the manifest's signature with ``jwks`` and every file against it; return it.

    Raises ManifestMismatch when the signature fails, a file is missing or extra, or a
    file's size or SHA-256 differs from the manifest's.
    """
    try:
        manifest = lti.verify_manifest(manifest_jws, dict(jwks))
    except lti.ManifestSignatureError as exc:
        raise ManifestMismatch(str(exc)) from exc
    if manifest.get("typ") != MANIFEST_VERSION:
        raise ManifestMismatch("not a Qadam package manifest")
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    if set(listed) != set(files):
        raise ManifestMismatch(
            f"the files {sorted(files)} are not those the manifest lists {sorted(listed)}"
        )
    for name, content in files.items():
        entry = listed[name]
        if len(content) != entry["bytes"] or hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise ManifestMismatch(f"{name} is not the file the manifest was signed for")
    return manifest


# -- the manifest key ----------------------------------------------------------------------


def active_keys() -> list[ReportKey]:
    """Manifest keys not retired, oldest first."""
    return list(
        db.session.scalars(
            select(ReportKey)
            .where(ReportKey.retired_at.is_(None))
            .order_by(ReportKey.created_at, ReportKey.id)
        )
    )


def _new_key() -> ReportKey:
    """Make a new manifest key and add it to the session (no commit)."""
    new = lti.generate_manifest_key()
    key = ReportKey(
        kid=new.kid,
        private_pem=new.private_pem,
        public_pem=new.public_pem,
        public_jwk=new.public_jwk,
    )
    db.session.add(key)
    db.session.flush()
    return key


def add_key() -> ReportKey:
    """Make, store and publish a new manifest key; it signs from now on (commits)."""
    key = _new_key()
    db.session.commit()
    return key


def ensure_key() -> ReportKey:
    """The key that signs manifests (the newest one), made and stored on first use."""
    keys = active_keys()
    return keys[-1] if keys else add_key()


def _signing_key() -> ReportKey:
    """The newest manifest key; a first one joins the caller's transaction, uncommitted."""
    keys = active_keys()
    return keys[-1] if keys else _new_key()


def published_jwks() -> list[dict[str, Any]]:
    """The public JWKs of the manifest keys not retired."""
    return [dict(k.public_jwk) for k in active_keys()]


# -- stored packages -----------------------------------------------------------------------


def add_package(
    rows: Iterable[AggregateRow],
    *,
    period: str,
    level: str,
    deliver: bool,
    supersedes: str | None = None,
    now: datetime | None = None,
    description: str | None = None,
) -> ReportPackage:
    """Build, validate and sign a package and add it (and its outbox row) to the session.

    Does not commit: the caller's transaction (the one that closes the wave) writes the
    package and its outbox row together or not at all. ``deliver``: queue it for the
    reporting endpoint (off when none is configured; ``flask reports push`` queues later).
    """
    created = now or utcnow()
    if supersedes is not None:
        _check_supersedes(supersedes, period, level)
    key = _signing_key()
    package_id = str(uuid.uuid4())
    built = build_package(
        rows,
        period=period,
        level=level,
        package_id=package_id,
        created=created,
        supersedes=supersedes,
        description=description,
    )
    manifest = lti.sign_manifest(
        manifest_payload(built, created, supersedes), key.private_pem, key.kid
    )
    package = ReportPackage(
        id=package_id,
        period=period,
        level=level,
        row_count=built.row_count,
        created_at=created,
        supersedes_id=supersedes,
        data_csv=built.files[DATA_FILE].decode("utf-8"),
        datapackage_json=built.files[DESCRIPTOR_FILE].decode("utf-8"),
        manifest_jws=manifest,
        key_id=key.kid,
    )
    db.session.add(package)
    if deliver:
        queue_delivery(package, now=created)
    db.session.flush()
    return package


def _check_supersedes(old_id: str, period: str, level: str) -> None:
    old = db.session.get(ReportPackage, old_id)
    if old is None:
        raise PackageError([f"no package {old_id} to correct"])
    if (old.period, old.level) != (period, level):
        raise PackageError(
            [f"package {old_id} is for {old.period}/{old.level}, not {period}/{level}"]
        )
    if db.session.scalar(select(ReportPackage.id).where(ReportPackage.supersedes_id == old_id)):
        raise PackageError([f"package {old_id} has already been corrected; correct the newest"])


def freeze_package(
    rows: Iterable[AggregateRow],
    *,
    period: str,
    level: str,
    deliver: bool,
    supersedes: str | None = None,
) -> ReportPackage:
    """Build, sign and store a package (and queue it) in one transaction of its own."""
    try:
        package = add_package(
            rows, period=period, level=level, deliver=deliver, supersedes=supersedes
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return package


def queue_delivery(package: ReportPackage, now: datetime | None = None) -> OutboxMessage:
    """The outbox row that delivers ``package`` (one per package, however often asked)."""
    dedupe_key = f"{REPORT_KIND}:{package.id}"
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if message is None:
        message = OutboxMessage(
            kind=REPORT_KIND,
            dedupe_key=dedupe_key,
            platform_id=None,
            payload={"package_id": package.id},
            next_try_at=now or utcnow(),
        )
        db.session.add(message)
    return message


def package_files(package: ReportPackage) -> dict[str, bytes]:
    """The three files of a stored package, byte for byte."""
    return {
        DATA_FILE: package.data_csv.encode("utf-8"),
        DESCRIPTOR_FILE: package.datapackage_json.encode("utf-8"),
        MANIFEST_FILE: package.manifest_jws.encode("ascii"),
    }


def packages(period: str | None = None) -> list[ReportPackage]:
    query = select(ReportPackage).order_by(ReportPackage.created_at, ReportPackage.id)
    if period:
        query = query.where(ReportPackage.period == period)
    return list(db.session.scalars(query))


def delivery_message(package_id: str) -> OutboxMessage | None:
    return db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"{REPORT_KIND}:{package_id}")
    )


def export(package: ReportPackage, folder: Path) -> Path:
    """Write a package's three files into ``folder/<period>-<level>-<id>/``; return that."""
    target = folder / f"{package.period}-{package.level}-{package.id}"
    target.mkdir(parents=True, exist_ok=True)
    for name, content in package_files(package).items():
        (target / name).write_bytes(content)
    return target


def queue_for_push(package_id: str | None, now: datetime | None = None) -> list[str]:
    """Make packages due for delivery now; return their ids (commits).

    With an id: that package, queued again even when it was set aside as dead. Without: every
    package not delivered yet, except the dead ones (name those, once the cause is fixed).
    """
    moment = now or utcnow()
    if package_id is not None:
        package = db.session.get(ReportPackage, package_id)
        if package is None:
            raise PackageError([f"no package {package_id}"])
        chosen = [package]
    else:
        chosen = packages()
    queued: list[str] = []
    for package in chosen:
        message = queue_delivery(package, now=moment)
        if message.status == "delivered" or (message.status == "dead" and package_id is None):
            continue
        if message.status == "dead":
            message.status, message.tries, message.claim = "pending", 0, None
        if message.claim is None:  # a message a worker holds now is left to it
            message.next_try_at = moment
        queued.append(package.id)
    db.session.commit()
    return queued
