"""The database key-value store behind pylti1p3: expiry and single-use take."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.extensions import db
from app.models import LtiStoreEntry
from app.models.base import utcnow
from app.services.lti_store import DatabaseKeyValueStore
from lti.storage import kept_claims


def test_set_get_take_delete(app: Any) -> None:
    with app.app_context():
        store = DatabaseKeyValueStore()
        store.set("k", {"a": 1}, 60)
        assert store.get("k") == {"a": 1}
        store.set("k", {"a": 2}, 60)
        assert store.get("k") == {"a": 2}
        assert store.take("k") == {"a": 2}
        assert store.take("k") is None
        store.set("d", True, 60)
        store.delete("d")
        assert store.get("d") is None


def test_expired_values_are_gone_and_swept(app: Any) -> None:
    with app.app_context():
        store = DatabaseKeyValueStore()
        past = utcnow() - timedelta(seconds=1)
        db.session.add(LtiStoreEntry(key="old", value=1, expires_at=past))
        db.session.add(LtiStoreEntry(key="older", value=2, expires_at=past))
        db.session.commit()
        assert store.get("old") is None
        assert store.take("old") is None, "an expired nonce is not accepted"
        assert store.sweep() == 1


def test_take_is_single_use_across_two_apps(make_app: Any) -> None:
    first, second = make_app(), make_app()
    with first.app_context():
        DatabaseKeyValueStore().set("nonce", True, 60)
    with second.app_context():
        assert DatabaseKeyValueStore().take("nonce") is True
    with first.app_context():
        assert DatabaseKeyValueStore().take("nonce") is None


def test_only_allow_listed_claims_and_fields_are_kept() -> None:
    lti_claim = "https://purl.imsglobal.org/spec/lti/claim/"
    body = {
        "iss": "https://moodle.example.kz",
        "sub": "3",
        "name": "A",
        "email": "e@x.kz",
        "given_name": "A",
        "family_name": "B",
        "preferred_username": "aigerim",
        "https://purl.imsglobal.org/spec/lti/claim/lti1p1": {"user_id": "legacy-7"},
        lti_claim + "ext": {"user_username": "u", "lms": "moodle-2"},
        lti_claim + "lis": {"person_sourcedid": "p", "course_section_sourcedid": ""},
        lti_claim + "context": {"id": "7", "title": "7A", "label": "7A", "extra": "x"},
        lti_claim + "resource_link": {"id": "r1", "title": "Quiz", "description": "d"},
        lti_claim + "custom": {
            "lesson": "primary-safe-touch",
            "contact": "aigerim@school.kz",
            "user_email": "$Person.email.primary",
            "other": "kept? no",
        },
    }
    kept = kept_claims(body, {"lesson", "contact"})
    assert kept == {
        "iss": "https://moodle.example.kz",
        "sub": "3",
        lti_claim + "context": {"id": "7", "title": "7A", "label": "7A"},
        lti_claim + "resource_link": {"id": "r1", "title": "Quiz"},
        lti_claim + "custom": {"lesson": "primary-safe-touch"},
    }, "an e-mail substituted into a custom parameter is dropped even under a kept name"


def test_add_stores_only_where_no_live_entry_is(app: Any) -> None:
    with app.app_context():
        store = DatabaseKeyValueStore()
        assert store.add("once", {"n": 1}, 60) is True
        assert store.add("once", {"n": 2}, 60) is False
        assert store.get("once") == {"n": 1}, "a live entry is never replaced"
        db.session.add(LtiStoreEntry(key="stale", value=1, expires_at=utcnow() - timedelta(1)))
        db.session.commit()
        assert store.add("stale", 2, 60) is True, "an expired entry not swept yet is replaced"
        assert store.get("stale") == 2
