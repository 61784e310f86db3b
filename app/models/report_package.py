"""Frozen aggregate packages for the risk map, and the key that signs their manifests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UtcDateTime, utcnow


class ReportPackage(db.Model):  # type: ignore[name-defined]
    """One wave's aggregates at one level, exactly as delivered: never changed once written.

    A correction is a new package whose ``supersedes_id`` names the old one; a package is
    corrected at most once, so the corrections of a package form one chain.
    """

    __tablename__ = "report_package"
    __table_args__ = (CheckConstraint("level IN ('region', 'district')", name="level_known"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID, the Idempotency-Key
    period: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(20))
    row_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("report_package.id"), unique=True)
    # The files, byte for byte as signed (UTF-8 text, LF line ends).
    data_csv: Mapped[str] = mapped_column(Text)
    datapackage_json: Mapped[str] = mapped_column(Text)
    manifest_jws: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(100))


class ReportKey(db.Model):  # type: ignore[name-defined]
    """A P-256 key that signs package manifests (ES256); published in the tool's JWKS.

    Kept apart from the LTI keys: it never signs a launch message, and an LTI key never
    signs a manifest. Retired keys leave the JWKS; packages they signed can then no longer be
    verified online, so a key is retired only when its packages no longer matter.
    """

    __tablename__ = "report_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
