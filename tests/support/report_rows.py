"""Hand-made aggregate rows, as the results engine hands them over (PRIVACY.md section 3)."""

from __future__ import annotations

from app.services.report_packages import AggregateRow

PERIOD = "2026-S1"
METHOD = "sdc-v1:gate10,k5,r5"
KATO_VERSION = "2024"
INDICATORS = ("bullied-any.v1", "felt-unsafe.v1")


def row(
    code: str,
    level: str,
    parent: str | None,
    status: str,
    numbers: tuple[int, int, int] | None = None,
    *,
    indicator: str = INDICATORS[0],
    period: str = PERIOD,
) -> AggregateRow:
    conf = {"ok": "F", "suppressed_primary": "A", "suppressed_secondary": "D", "below_gate": "A"}
    numerator, denominator, value = numbers if numbers else (None, None, None)
    return AggregateRow(
        area_code=code,
        area_level=level,
        parent_code=parent,
        kato_version=KATO_VERSION,
        period=period,
        indicator=indicator,
        numerator=numerator,
        denominator=denominator,
        value=value,
        status=status,
        conf=conf.get(status, "F"),
        method=METHOD,
    )


def region_rows() -> list[AggregateRow]:
    """Regions and cities of republican significance, two indicators, every status."""
    return [
        row("750000000", "city", None, "ok", (120, 1450, 10)),
        row("750000000", "city", None, "ok", (300, 1450, 20), indicator=INDICATORS[1]),
        row("710000000", "city", None, "ok", (95, 880, 10)),
        row("710000000", "city", None, "suppressed_secondary", indicator=INDICATORS[1]),
        row("620000000", "region", None, "below_gate"),
        row("620000000", "region", None, "below_gate", indicator=INDICATORS[1]),
        row("190000000", "region", None, "ok", (55, 300, 20)),
        row("190000000", "region", None, "suppressed_primary", indicator=INDICATORS[1]),
    ]


def district_rows() -> list[AggregateRow]:
    """Districts and a city of regional significance under one region."""
    return [
        row("195220000", "district", "190000000", "ok", (25, 150, 15)),
        row("195230000", "district", "190000000", "suppressed_primary"),
        row("195240000", "district", "190000000", "suppressed_secondary"),
        row("191610000", "city", "190000000", "ok", (30, 150, 20)),
    ]
