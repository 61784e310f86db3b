"""Packages reach the reporting endpoint exactly once: frozen with their outbox row, signed
with a key published in the JWKS, retried with back-off, set aside when refused, never sent
twice by two workers, and handed over by hand with ``flask reports export``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.lti_tool import tool_conf
from app.models import OutboxMessage, ReportKey, ReportPackage
from app.models.base import utcnow
from app.services import delivery
from app.services import report_packages as rp
from tests.support.report_receiver import ReportReceiver
from tests.support.report_rows import PERIOD, district_rows, region_rows
from tests.support.servers import ThreadedServer, free_port

LATER = timedelta(days=1)


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    """Qadam itself on loopback, so the receiver fetches its JWKS over HTTP."""
    port = free_port()
    with ThreadedServer(app, port) as server:
        yield server.base_url


@pytest.fixture
def receiver(served: str) -> ReportReceiver:
    return ReportReceiver(served + "/lti/jwks")


@pytest.fixture
def receiver_port() -> int:
    return free_port()


@pytest.fixture
def endpoint(receiver_port: int) -> delivery.ReportingEndpoint:
    return delivery.ReportingEndpoint(f"http://127.0.0.1:{receiver_port}/packages", timeout=10)


def freeze(app: Any, level: str = "region", deliver: bool = True, **kwargs: Any) -> str:
    rows = region_rows() if level == "region" else district_rows()
    with app.app_context():
        package = rp.freeze_package(rows, period=PERIOD, level=level, deliver=deliver, **kwargs)
        return package.id


def drain(
    app: Any,
    endpoint: delivery.ReportingEndpoint | None,
    later: timedelta = timedelta(0),
    **kw: Any,
) -> delivery.DrainReport:
    with app.app_context():
        report = delivery.drain_outbox(
            tool_conf(signing=True), reporting=endpoint, clock=lambda: utcnow() + later, **kw
        )
        db.session.remove()
        return report


def message_for(app: Any, package_id: str) -> OutboxMessage:
    with app.app_context():
        message = rp.delivery_message(package_id)
        assert message is not None
        db.session.expunge(message)
        return message


# -- keys and manifests --------------------------------------------------------------------


def test_the_manifest_key_is_published_in_the_jwks_under_its_own_kid(app: Any, client: Any) -> None:
    package_id = freeze(app)
    keys = client.get("/lti/jwks").get_json()["keys"]
    ec = [k for k in keys if k["kty"] == "EC"]
    rsa = [k for k in keys if k["kty"] == "RSA"]
    assert len(ec) == 1
    assert len(rsa) == 1
    assert ec[0]["alg"] == "ES256"
    assert ec[0]["use"] == "sig"
    assert ec[0]["crv"] == "P-256"
    assert ec[0]["kid"] != rsa[0]["kid"]
    assert rsa[0]["alg"] == "RS256"
    assert not {"d", "p", "q"} & (set(ec[0]) | set(rsa[0]))
    with app.app_context():
        package = db.session.get(ReportPackage, package_id)
        assert package is not None
        assert package.key_id == ec[0]["kid"]
        files = rp.package_files(package)
    manifest_jws = files.pop(rp.MANIFEST_FILE).decode()
    checked = rp.verify_package(files, manifest_jws, {"keys": keys})
    assert checked["package_id"] == package_id
    files[rp.DATA_FILE] = files[rp.DATA_FILE].replace(b"120,1450,10", b"120,1450,11")
    with pytest.raises(rp.ManifestMismatch):
        rp.verify_package(files, manifest_jws, {"keys": keys})


def test_a_new_manifest_key_signs_new_packages_and_the_old_ones_still_verify(
    app: Any, client: Any
) -> None:
    first = freeze(app)
    runner = app.test_cli_runner()
    assert "published" in runner.invoke(args=["reports", "rotate-key"]).output
    second = freeze(app, "district")
    keys = client.get("/lti/jwks").get_json()
    with app.app_context():
        for package_id in (first, second):
            files = rp.package_files(db.session.get(ReportPackage, package_id))
            token = files.pop(rp.MANIFEST_FILE).decode()
            rp.verify_package(files, token, keys)
        kids = {db.session.get(ReportPackage, p).key_id for p in (first, second)}
    assert len(kids) == 2


# -- freezing ------------------------------------------------------------------------------


def test_the_package_and_its_outbox_row_are_written_together_or_not_at_all(app: Any) -> None:
    with app.app_context():
        # The first package also makes the first manifest key, in the same transaction.
        rp.add_package(region_rows(), period=PERIOD, level="region", deliver=True)
        db.session.rollback()  # the wave's closing transaction failed after the package
        for model in (ReportPackage, OutboxMessage, ReportKey):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
    package_id = freeze(app)
    message = message_for(app, package_id)
    assert message.kind == rp.REPORT_KIND
    assert message.status == "pending"
    assert message.payload == {"package_id": package_id}


def test_a_package_that_fails_validation_is_not_stored(app: Any) -> None:
    bad = [*region_rows()[1:], rp.AggregateRow(**{**region_rows()[0].__dict__, "conf": "A"})]
    with app.app_context(), pytest.raises(rp.PackageError):
        rp.freeze_package(bad, period=PERIOD, level="region", deliver=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportPackage)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_correction_supersedes_the_newest_package_only(app: Any) -> None:
    first = freeze(app)
    second = freeze(app, supersedes=first)
    with app.app_context():
        assert db.session.get(ReportPackage, second).supersedes_id == first
        with pytest.raises(rp.PackageError, match="already been corrected"):
            rp.freeze_package(
                region_rows(), period=PERIOD, level="region", deliver=False, supersedes=first
            )
        with pytest.raises(rp.PackageError, match="is for"):
            rp.freeze_package(
                district_rows(), period=PERIOD, level="district", deliver=False, supersedes=second
            )


# -- delivery ------------------------------------------------------------------------------


def test_receiver_down_then_up_gets_the_package_exactly_once(
    app: Any, receiver: ReportReceiver, receiver_port: int, endpoint: delivery.ReportingEndpoint
) -> None:
    package_id = freeze(app)
    # Nothing listens yet: the connection is refused, the package waits its turn.
    assert drain(app, endpoint).retrying == 1
    first_wait = message_for(app, package_id).next_try_at - utcnow()
    assert timedelta(seconds=10) < first_wait <= timedelta(seconds=30)
    assert drain(app, endpoint).retrying == 0, "not due again before its back-off"
    with ThreadedServer(receiver.app, receiver_port):
        receiver.mode = "down"  # up, but answering 503
        assert drain(app, endpoint, LATER).retrying == 1
        receiver.mode = "up"
        assert drain(app, endpoint, LATER * 2).delivered == 1
        assert drain(app, endpoint, LATER * 3).delivered == 0
        message = message_for(app, package_id)
        assert message.status == "delivered"
        assert message.tries == 3
        assert list(receiver.stored) == [package_id]
        assert receiver.posts_for(package_id) == 2  # the 503 and the one that arrived
        # The answer was lost and the message sent again: the receiver keeps one copy.
        with app.app_context():
            again = db.session.get(OutboxMessage, message.id)
            again.status, again.next_try_at = "pending", utcnow()
            db.session.commit()
        assert drain(app, endpoint).delivered == 1
        assert list(receiver.stored) == [package_id]
        assert receiver.posts_for(package_id) == 3


@pytest.mark.parametrize("status", [400, 403, 409, 422])
def test_a_refusing_receiver_sets_the_package_aside_with_the_reason(
    app: Any,
    receiver: ReportReceiver,
    receiver_port: int,
    endpoint: delivery.ReportingEndpoint,
    status: int,
) -> None:
    package_id = freeze(app)
    receiver.mode, receiver.refuse_status = "refuse", status
    with ThreadedServer(receiver.app, receiver_port):
        assert drain(app, endpoint).dead == 1
        assert drain(app, endpoint, LATER).dead == 0
    message = message_for(app, package_id)
    assert message.status == "dead"
    assert message.tries == 1
    assert f"answered {status}" in message.last_error
    assert "does not take packages" in message.last_error
    assert receiver.stored == {}
    assert receiver.posts_for(package_id) == 1


def test_a_package_the_receiver_cannot_verify_is_set_aside(
    app: Any, receiver: ReportReceiver, receiver_port: int, endpoint: delivery.ReportingEndpoint
) -> None:
    package_id = freeze(app)
    with app.app_context():  # a stored file changed behind Qadam's back
        package = db.session.get(ReportPackage, package_id)
        package.data_csv = package.data_csv.replace("120,1450,10", "12,1450,1")
        db.session.commit()
    with ThreadedServer(receiver.app, receiver_port):
        assert drain(app, endpoint).dead == 1
    message = message_for(app, package_id)
    assert "answered 400" in message.last_error
    assert "does not match the manifest" in (message.last_error)
    assert receiver.stored == {}


def test_after_its_retry_budget_a_package_is_set_aside(
    app: Any, receiver: ReportReceiver, receiver_port: int, endpoint: delivery.ReportingEndpoint
) -> None:
    package_id = freeze(app)
    receiver.mode = "down"
    with ThreadedServer(receiver.app, receiver_port):
        outcomes = [
            drain(app, endpoint, LATER * n) for n in range(1, delivery.REPORT_RETRY_BUDGET + 2)
        ]
    assert sum(r.retrying for r in outcomes) == delivery.REPORT_RETRY_BUDGET - 1
    assert sum(r.dead for r in outcomes) == 1
    message = message_for(app, package_id)
    assert message.status == "dead"
    assert message.tries == delivery.REPORT_RETRY_BUDGET
    assert message.last_error.startswith(f"gave up after {delivery.REPORT_RETRY_BUDGET} tries")
    assert "answered 503" in message.last_error
    assert receiver.posts_for(package_id) == delivery.REPORT_RETRY_BUDGET


def test_two_workers_draining_at_once_send_each_package_once(
    app: Any, receiver: ReportReceiver, receiver_port: int, endpoint: delivery.ReportingEndpoint
) -> None:
    ids = [freeze(app, level) for level in ("region", "district", "region", "district")]
    receiver.slow = 0.5  # each package takes half a second; a claim lasts a second
    reports: list[delivery.DrainReport] = []
    errors: list[BaseException] = []

    def work(pause: float) -> None:
        time.sleep(pause)
        try:
            reports.append(drain(app, endpoint, lease=timedelta(seconds=1)))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    with ThreadedServer(receiver.app, receiver_port):
        threads = [threading.Thread(target=work, args=(0.15 * i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not errors, errors
    assert sum(r.delivered for r in reports) == len(ids)
    assert all(r.delivered for r in reports), "both workers took a share"
    for package_id in ids:
        assert receiver.posts_for(package_id) == 1, f"{package_id} was sent exactly once"
    assert set(receiver.stored) == set(ids)


def test_without_a_reporting_endpoint_packages_wait_untouched(app: Any) -> None:
    package_id = freeze(app)
    assert drain(app, None, LATER).delivered == 0
    message = message_for(app, package_id)
    assert message.status == "pending"
    assert message.tries == 0
    assert message.claim is None


def test_an_endpoint_on_a_private_address_is_refused_before_any_connection(app: Any) -> None:
    package_id = freeze(app)
    private = delivery.ReportingEndpoint("http://10.0.0.8/packages")
    assert drain(app, private).dead == 1  # the no-network guard fails the test if it connects
    assert "not a public address" in message_for(app, package_id).last_error


# -- commands ------------------------------------------------------------------------------


def test_reports_list_and_push(make_app: Any, receiver_port: int, served_factory: Any) -> None:
    url = f"http://127.0.0.1:{receiver_port}/packages"
    app = make_app(QADAM_REPORTING_URL=url)
    base_url = served_factory(app)
    receiver = ReportReceiver(base_url + "/lti/jwks")
    queued = freeze(app, deliver=False)  # frozen before an endpoint was set
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["reports", "list"]).output
    assert queued in listed
    assert "not queued" in listed
    assert "8 rows" in listed
    with ThreadedServer(receiver.app, receiver_port):
        pushed = runner.invoke(args=["reports", "push", queued])
        assert pushed.exit_code == 0, pushed.output
        assert "1 delivered" in pushed.output
        assert "Nothing to deliver" in runner.invoke(args=["reports", "push"]).output
    assert list(receiver.stored) == [queued]
    assert "delivered, tries 1" in runner.invoke(args=["reports", "list"]).output
    outbox = runner.invoke(args=["outbox", "list"]).output
    assert "report-package tries 1" in outbox
    assert f"package {queued}" in outbox
    missing = runner.invoke(args=["reports", "push", "no-such-package"])
    assert missing.exit_code != 0
    assert "no package" in missing.output


def test_push_without_an_endpoint_says_how_to_hand_over(app: Any) -> None:
    freeze(app)
    result = app.test_cli_runner().invoke(args=["reports", "push"])
    assert result.exit_code != 0
    assert "flask reports export" in result.output


def test_export_writes_the_three_files_and_they_verify_offline(
    app: Any, client: Any, tmp_path: Path
) -> None:
    ids = {freeze(app, "region"), freeze(app, "district")}
    jwks = client.get("/lti/jwks").get_json()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "export", str(tmp_path / "hand-over")])
    assert result.exit_code == 0, result.output
    folders = sorted((tmp_path / "hand-over").iterdir())
    assert {f.name.rsplit("-", 5)[0] for f in folders} == {f"{PERIOD}-region", f"{PERIOD}-district"}
    seen = set()
    for folder in folders:
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted([rp.DATA_FILE, rp.DESCRIPTOR_FILE, rp.MANIFEST_FILE])
        files = {name: (folder / name).read_bytes() for name in (rp.DATA_FILE, rp.DESCRIPTOR_FILE)}
        token = (folder / rp.MANIFEST_FILE).read_text()
        seen.add(rp.verify_package(files, token, jwks)["package_id"])  # no server needed
        assert rp.validation_problems(files) == []
        checked = runner.invoke(args=["reports", "verify", str(folder)])
        assert "verified" in checked.output, checked.output
    assert seen == ids
    again = runner.invoke(args=["reports", "export", str(tmp_path / "again")])
    assert again.exit_code == 0
    for folder in folders:
        copy = tmp_path / "again" / folder.name
        for name in (rp.DATA_FILE, rp.DESCRIPTOR_FILE, rp.MANIFEST_FILE):
            assert (copy / name).read_bytes() == (folder / name).read_bytes()
    # A changed byte is caught offline too.
    target = folders[0] / rp.DATA_FILE
    target.write_bytes(target.read_bytes().replace(b"2024", b"2025", 1))
    refused = runner.invoke(args=["reports", "verify", str(folders[0])])
    assert refused.exit_code != 0
    assert "Not verified" in refused.output


@pytest.fixture
def served_factory() -> Iterator[Any]:
    servers: list[ThreadedServer] = []

    def serve(app: Any) -> str:
        server = ThreadedServer(app, free_port()).__enter__()
        servers.append(server)
        return server.base_url

    yield serve
    for server in servers:
        server.__exit__()
