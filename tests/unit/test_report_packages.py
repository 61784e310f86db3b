"""Aggregate packages: valid Frictionless Data Packages, the same bytes every time, rows that
break the privacy shape refused, and a manifest that catches any change to a file."""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import frictionless
import pytest

import lti
from app.services import report_packages as rp
from app.services.delivery import REPORT_LONGEST_WAIT, report_retry_delay
from tests.support.report_rows import PERIOD, district_rows, region_rows, row

CREATED = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
PACKAGE_ID = "7d4f2a4c-2a57-4f0e-9b0a-52c3f0a1d001"


def build(rows: list[rp.AggregateRow], level: str = "region", **kwargs: object) -> rp.BuiltPackage:
    options: dict = {"period": PERIOD, "level": level, "package_id": PACKAGE_ID, "created": CREATED}
    options.update(kwargs)
    return rp.build_package(rows, **options)


def write(files: dict[str, bytes], folder: Path) -> Path:
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder / rp.DESCRIPTOR_FILE


@pytest.mark.parametrize(("level", "rows"), [("region", region_rows), ("district", district_rows)])
def test_frictionless_validates_every_package(level: str, rows: object, tmp_path: Path) -> None:
    built = build(rows(), level)  # type: ignore[operator]
    report = frictionless.validate(str(write(built.files, tmp_path)))
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads(built.files[rp.DESCRIPTOR_FILE])
    schema = descriptor["resources"][0]["schema"]
    by_name = {f["name"]: f for f in schema["fields"]}
    assert schema["primaryKey"] == ["area_code", "period", "indicator"]
    assert by_name["status"]["constraints"]["enum"] == [
        "ok",
        "suppressed_primary",
        "suppressed_secondary",
        "below_gate",
        "unavailable",  # a participation rate where no roster size is known
    ]
    assert by_name["conf"]["constraints"]["enum"] == ["A", "D", "F"]
    assert set(by_name["area_level"]["constraints"]["enum"]) == set(rp.PACKAGE_LEVELS[level])
    assert by_name["numerator"]["type"] == "integer"
    assert descriptor["id"] == f"urn:uuid:{PACKAGE_ID}"
    assert descriptor["created"] == "2026-06-01T09:30:00Z"


def test_the_csv_is_utf8_with_lf_line_ends_and_suppressed_cells_carry_no_numbers() -> None:
    data = build(region_rows()).files[rp.DATA_FILE]
    assert b"\r" not in data
    assert data.endswith(b"\n")
    assert not data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert list(table[0]) == list(rp.COLUMNS)
    assert [r["area_code"] for r in table] == sorted(r["area_code"] for r in table)
    for record in table:
        shown = record["status"] == "ok"
        numbers = [record["numerator"], record["denominator"], record["value"]]
        assert all(numbers) if shown else not any(numbers), record
        assert record["conf"] == rp.CONF_FOR_STATUS[record["status"]]


def test_the_same_rows_give_the_same_bytes_in_any_order() -> None:
    first = build(region_rows())
    again = build(list(reversed(region_rows())))
    assert first.files == again.files
    other = build(region_rows(), package_id="00000000-0000-4000-8000-000000000000")
    assert other.files[rp.DATA_FILE] == first.files[rp.DATA_FILE]


def test_a_correction_names_the_package_it_supersedes() -> None:
    built = build(region_rows(), supersedes=PACKAGE_ID, package_id=str(PACKAGE_ID[::-1]))
    descriptor = json.loads(built.files[rp.DESCRIPTOR_FILE])
    assert descriptor["qadam:supersedes"] == f"urn:uuid:{PACKAGE_ID}"
    assert "qadam:supersedes" not in json.loads(build(region_rows()).files[rp.DESCRIPTOR_FILE])


def broken(change: dict[str, object], base: rp.AggregateRow | None = None) -> rp.AggregateRow:
    return dataclasses.replace(base or region_rows()[0], **change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (broken({"status": "suppressed_primary", "conf": "A"}), "must carry no numbers"),
        (broken({"conf": "A"}), "does not match status"),
        (broken({"status": "hidden"}), "unknown status"),
        (broken({"area_level": "school", "area_code": "000000017"}), "does not belong"),
        (broken({"area_level": "class"}), "does not belong"),
        (broken({"area_code": "75000000"}), "9-digit KATO"),
        (broken({"numerator": 2000}), "between 0 and the denominator"),
        (broken({"numerator": None}), "needs numerator"),
        (broken({"period": "2026-S2"}), "is not the package's"),
        (broken({"method": ""}), "required"),
    ],
)
def test_rows_that_break_the_shape_are_refused(bad: rp.AggregateRow, says: str) -> None:
    with pytest.raises(rp.PackageError, match=says):
        build([*region_rows()[2:], bad])


def test_a_row_twice_and_an_empty_package_are_refused() -> None:
    with pytest.raises(rp.PackageError, match="appears twice"):
        build(region_rows() + region_rows()[:1])
    with pytest.raises(rp.PackageError, match="at least one row"):
        build([])
    with pytest.raises(rp.PackageError, match="no package level"):
        build(region_rows(), "school")


def _with_csv(files: dict[str, bytes], data: bytes) -> dict[str, bytes]:
    """The package with another CSV, its size and hash updated so only the content is wrong."""
    descriptor = json.loads(files[rp.DESCRIPTOR_FILE])
    descriptor["resources"][0]["bytes"] = len(data)
    descriptor["resources"][0]["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    return {rp.DATA_FILE: data, rp.DESCRIPTOR_FILE: json.dumps(descriptor).encode()}


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (b",ok,F,", b",shown,F,", "constraint-error"),  # a status outside the enum
        (b",ok,F,", b",ok,X,", "constraint-error"),  # a conf outside the enum
        (b",120,1450,", b",many,1450,", "type-error"),  # a count that is not an integer
        (b"750000000,city", b"75000000X,city", "constraint-error"),  # not a KATO code
        (b"2024,2026-S1", b"2024,", "constraint-error"),  # a required cell left empty
        (b"710000000,city", b"750000000,city", "primary-key"),  # one area, indicator twice
    ],
)
def test_frictionless_rejects_a_malformed_package(old: bytes, new: bytes, error: str) -> None:
    files = build(region_rows()).files
    assert old in files[rp.DATA_FILE]
    tampered = _with_csv(files, files[rp.DATA_FILE].replace(old, new, 1))
    problems = rp.validation_problems(tampered)
    assert any(p.startswith(error) for p in problems), problems


def test_frictionless_catches_a_csv_that_does_not_match_its_descriptor() -> None:
    files = dict(build(region_rows()).files)
    files[rp.DATA_FILE] = files[rp.DATA_FILE].replace(b"120,1450", b"125,1450")
    assert any(p.startswith("hash-count") for p in rp.validation_problems(files))


# -- the manifest --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> lti.GeneratedKey:
    return lti.generate_manifest_key()


def signed(key: lti.GeneratedKey, rows: list[rp.AggregateRow]) -> tuple[dict[str, bytes], str]:
    built = build(rows)
    token = lti.sign_manifest(rp.manifest_payload(built, CREATED, None), key.private_pem, key.kid)
    return built.files, token


def test_the_manifest_lists_each_file_and_verifies_with_the_public_key(
    key: lti.GeneratedKey,
) -> None:
    files, token = signed(key, region_rows())
    manifest = rp.verify_package(files, token, {"keys": [key.public_jwk]})
    assert manifest["package_id"] == PACKAGE_ID
    assert {f["path"]: f["bytes"] for f in manifest["files"]} == {
        name: len(content) for name, content in files.items()
    }
    assert signed(key, region_rows())[1] == token, "signing is deterministic (RFC 6979)"
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "ES256"
    assert header["kid"] == key.kid
    assert key.public_jwk["kty"] == "EC"
    assert key.public_jwk["crv"] == "P-256"
    assert key.public_jwk["use"] == "sig"
    assert "d" not in key.public_jwk


@pytest.mark.parametrize("position", [0, 57, -2])
def test_changing_one_byte_of_the_csv_fails_verification(
    key: lti.GeneratedKey, position: int
) -> None:
    files, token = signed(key, region_rows())
    data = bytearray(files[rp.DATA_FILE])
    data[position] ^= 0x01
    with pytest.raises(rp.ManifestMismatch, match=r"aggregates\.csv is not the file"):
        rp.verify_package({**files, rp.DATA_FILE: bytes(data)}, token, {"keys": [key.public_jwk]})


def test_a_changed_manifest_a_missing_file_or_another_key_fail(key: lti.GeneratedKey) -> None:
    files, token = signed(key, region_rows())
    jwks = {"keys": [key.public_jwk]}
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["files"][0]["sha256"] = "0" * 64
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(rp.ManifestMismatch, match="does not verify"):
        rp.verify_package(files, f"{head}.{forged}.{signature}", jwks)
    with pytest.raises(rp.ManifestMismatch, match="not those the manifest lists"):
        rp.verify_package({rp.DATA_FILE: files[rp.DATA_FILE]}, token, jwks)
    other = lti.generate_manifest_key()
    with pytest.raises(rp.ManifestMismatch, match="no published ES256 key"):
        rp.verify_package(files, token, {"keys": [other.public_jwk]})
    rsa = lti.generate_signing_key()
    with pytest.raises(rp.ManifestMismatch):  # an LTI key never stands in for a manifest key
        rp.verify_package(files, token, {"keys": [{**rsa.public_jwk, "kid": key.kid}]})


def test_an_unsigned_or_hmac_manifest_is_refused(key: lti.GeneratedKey) -> None:
    files, token = signed(key, region_rows())
    _, payload, _ = token.split(".")
    for alg in ("none", "HS256"):
        head = base64.urlsafe_b64encode(json.dumps({"alg": alg, "kid": key.kid}).encode())
        forged = f"{head.rstrip(b'=').decode()}.{payload}.c2ln"
        with pytest.raises(rp.ManifestMismatch, match="must be signed with ES256"):
            rp.verify_package(files, forged, {"keys": [key.public_jwk]})


# -- the retries ---------------------------------------------------------------------------


def test_package_retries_double_with_jitter_up_to_six_hours() -> None:
    assert report_retry_delay(1, rng=lambda: 0.0) == timedelta(seconds=15)
    assert report_retry_delay(1, rng=lambda: 1.0) == timedelta(seconds=30)
    assert report_retry_delay(4, rng=lambda: 1.0) == timedelta(minutes=4)
    assert report_retry_delay(30, rng=lambda: 1.0) == REPORT_LONGEST_WAIT
    assert report_retry_delay(30, rng=lambda: 0.0) == REPORT_LONGEST_WAIT / 2
    waits = {report_retry_delay(5) for _ in range(20)}
    assert len(waits) > 1, "two packages failing together come back at different times"
    assert all(timedelta(minutes=4) <= w <= timedelta(minutes=8) for w in waits)


def test_a_row_helper_matches_the_privacy_shape() -> None:
    assert row("100000000", "region", None, "below_gate").conf == "A"


def test_reporting_is_off_without_a_url_and_a_post_ends_within_a_claim() -> None:
    from app.services.delivery import CLAIM_LEASE, reporting_endpoint

    assert reporting_endpoint({"QADAM_REPORTING_URL": ""}) is None
    endpoint = reporting_endpoint(
        {"QADAM_REPORTING_URL": " https://risk.example/packages ", "QADAM_REPORTING_TIMEOUT": 600}
    )
    assert endpoint is not None
    assert endpoint.url == "https://risk.example/packages"
    assert endpoint.timeout < CLAIM_LEASE.total_seconds(), "no second worker while one still posts"
