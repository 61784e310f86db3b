"""Areas: importing the KATO region and district lists, and mapping schools to them.

KATO codes have 9 digits: AB CD EF GHI. AB is the region (``AB0000000``); a district or city of
regional significance is ``ABCD00000``, a city district (Astana's, Almaty's, Shymkent's,
Zharasemey…) ``ABCDEF000``; a locality adds the rest. The shipped lists stop at districts, so
a school's locality code is stored as the operator gives it (9 digits), and its district and
region are derived from the list: the district whose significant digits (6, else 4) begin the
locality code. A locality whose district or region is not in the current list, or is retired,
is refused with a plain message; the operator may name the district explicitly when the
locality code itself does not show it (it must be in the same region).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement, func, or_, select

from ..extensions import db
from ..models import Area, School

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "areas"
CURRENT_VERSION = "2024"
REGION = "region"
DISTRICT = "district"
_KATO = re.compile(r"^\d{9}$")


class AreaInputError(ValueError):
    """An area code or mapping was refused; the message says why in plain words."""


@dataclass(frozen=True)
class ImportReport:
    regions: int
    districts: int
    added: int
    updated: int
    retired: int


@dataclass(frozen=True)
class AreaRecord:
    kato: str
    level: str
    parent_code: str | None
    name_kk: str
    name_ru: str
    name_en: str


def read_lists(version: str = CURRENT_VERSION, data_dir: Path = DATA_DIR) -> list[AreaRecord]:
    """The regions and districts of the shipped KATO lists of ``version``."""
    with (data_dir / f"kaz_adm1_kato_{version}.csv").open(encoding="utf-8") as f:
        regions = list(csv.DictReader(f))
    with (data_dir / f"kaz_adm2_kato_{version}.csv").open(encoding="utf-8") as f:
        districts = list(csv.DictReader(f))
    region_of_pcode = {row["adm1_pcode"]: row["kato"] for row in regions}
    records = [
        AreaRecord(r["kato"], REGION, None, r["name_kk"], r["name_ru"], r["name_en"])
        for r in regions
    ]
    records += [
        AreaRecord(
            d["kato"],
            DISTRICT,
            region_of_pcode[d["adm1_pcode"]],
            d["name_kk"],
            d["name_ru"],
            d["name_en"],
        )
        for d in districts
    ]
    for record in records:
        if not _KATO.match(record.kato):
            raise AreaInputError(f"Not a 9-digit KATO code in the list: {record.kato!r}.")
    return records


def import_lists(version: str = CURRENT_VERSION, data_dir: Path = DATA_DIR) -> ImportReport:
    """Add or update the areas of ``version`` from the lists; a code of that version no longer
    listed is marked retired (never deleted). Running it twice changes nothing."""
    records = {r.kato: r for r in read_lists(version, data_dir)}
    existing = {
        a.kato: a for a in db.session.scalars(select(Area).where(Area.kato_version == version))
    }
    added = updated = retired = 0
    for code, record in records.items():
        area = existing.get(code)
        values = {
            "level": record.level,
            "parent_code": record.parent_code,
            "name_kk": record.name_kk,
            "name_ru": record.name_ru,
            "name_en": record.name_en,
            "retired": False,
        }
        if area is None:
            db.session.add(Area(kato=code, kato_version=version, **values))
            added += 1
        elif any(getattr(area, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(area, key, value)
            updated += 1
    for code, area in existing.items():
        if code not in records and not area.retired:
            area.retired = True
            retired += 1
    db.session.commit()
    levels = [r.level for r in records.values()]
    return ImportReport(levels.count(REGION), levels.count(DISTRICT), added, updated, retired)


def area(code: str, version: str = CURRENT_VERSION) -> Area | None:
    return db.session.scalar(select(Area).where(Area.kato == code, Area.kato_version == version))


def _usable(code: str, level: str, version: str) -> Area:
    found = area(code, version)
    if found is None or found.level != level:
        if not db.session.scalar(select(func.count(Area.id))):
            raise AreaInputError("No areas yet: run `flask area import` first.")
        raise AreaInputError(
            f"{code} is not a {level} in the KATO {version} list (see `flask area list`)."
        )
    if found.retired:
        raise AreaInputError(
            f"{code} ({found.name_en}) is retired from the KATO {version} list: "
            "use the code that replaced it."
        )
    return found


def check_code(code: str) -> str:
    """The code with spaces removed, if it has the 9 digits of a KATO code."""
    cleaned = re.sub(r"\s", "", code or "")
    if not _KATO.match(cleaned):
        raise AreaInputError(f"A KATO code has 9 digits, not {code!r}.")
    return cleaned


def district_prefixes(code: str) -> Iterator[str]:
    """The districts a locality code could belong to, most specific first."""
    yield code[:6] + "000"
    yield code[:4] + "00000"


@dataclass(frozen=True)
class AreaMapping:
    locality: str
    district: Area
    region: Area
    version: str


def resolve(
    locality: str, district: str | None = None, version: str = CURRENT_VERSION
) -> AreaMapping:
    """The district and region of a locality code, from the lists (or the given district)."""
    locality = check_code(locality)
    if district is not None:
        found = _usable(check_code(district), DISTRICT, version)
        if found.kato[:2] != locality[:2]:
            raise AreaInputError(
                f"The locality {locality} is not in the region of district {found.kato}."
            )
    else:
        found_or_none = None
        for candidate in district_prefixes(locality):
            hit = area(candidate, version)
            if hit is not None and hit.level == DISTRICT:
                found_or_none = hit
                break
        if found_or_none is None:
            _usable(locality[:2] + "0000000", REGION, version)  # a clearer message if unknown
            raise AreaInputError(
                f"No district of the KATO {version} list begins the locality code {locality}: "
                "check the code, or name its district with --district."
            )
        found = found_or_none
        if found.retired:
            raise AreaInputError(
                f"The district {found.kato} ({found.name_en}) of {locality} is retired from the "
                f"KATO {version} list: use the locality's current code."
            )
    region = _usable(found.parent_code or "", REGION, version)
    return AreaMapping(locality, found, region, version)


def map_school(school_id: int, locality: str, district: str | None = None) -> AreaMapping:
    """Record where a school is; the caller gets what was derived."""
    school = db.session.get(School, school_id)
    if school is None:
        raise AreaInputError(f"There is no school {school_id} (see `flask school list`).")
    mapping = resolve(locality, district)
    school.kato_locality = mapping.locality
    school.kato_district = mapping.district.kato
    school.kato_region = mapping.region.kato
    school.kato_version = mapping.version
    db.session.commit()
    return mapping


def usable_area(code: str, version: str = CURRENT_VERSION) -> Area:
    """A current region or district an area coordinator can be granted."""
    code = check_code(code)
    found = area(code, version)
    level = found.level if found is not None else REGION if code.endswith("0" * 7) else DISTRICT
    return _usable(code, level, version)


def _in_area(code: str) -> ColumnElement[bool]:
    return or_(School.kato_region == code, School.kato_district == code)


@dataclass(frozen=True)
class AreaSchool:
    id: int
    name: str
    locality: str
    district: str
    district_name: str


def schools_in_area(code: str, lang: str = "en") -> list[AreaSchool]:
    """The schools mapped into a region or district, by name, with their KATO codes."""
    rows = db.session.execute(
        select(School.id, School.name, School.kato_locality, School.kato_district, Area)
        .outerjoin(
            Area,
            (Area.kato == School.kato_district) & (Area.kato_version == School.kato_version),
        )
        .where(_in_area(code))
        .order_by(School.name, School.id)
    ).all()
    return [
        AreaSchool(
            row.id,
            row.name,
            row.kato_locality or "",
            row.kato_district or "",
            name_of(row.Area, lang) if row.Area is not None else "",
        )
        for row in rows
    ]


def name_of(found: Area, lang: str) -> str:
    return str(getattr(found, f"name_{lang}", None) or found.name_en)


def names(level: str, lang: str, version: str = CURRENT_VERSION) -> dict[str, str]:
    """KATO code -> name in ``lang`` for every area of a level."""
    return {
        a.kato: name_of(a, lang)
        for a in db.session.scalars(
            select(Area).where(Area.level == level, Area.kato_version == version)
        )
    }


def schools_mapped(
    level: str, *, platform_id: int | None = None, within: str | None = None
) -> dict[str, int]:
    """How many schools are mapped to each region (or district), counted in the database,
    among the schools of one platform and/or one area."""
    column = School.kato_region if level == REGION else School.kato_district
    query = select(column, func.count(School.id)).where(column.is_not(None)).group_by(column)
    if platform_id is not None:
        query = query.where(School.platform_id == platform_id)
    if within is not None:
        query = query.where(_in_area(within))
    return {str(code): int(n) for code, n in db.session.execute(query)}


def list_areas(region: str | None = None, version: str = CURRENT_VERSION) -> list[Area]:
    """The regions, or the districts of one region."""
    query = select(Area).where(Area.kato_version == version).order_by(Area.kato)
    if region is None:
        query = query.where(Area.level == REGION)
    else:
        query = query.where(Area.parent_code == check_code(region))
    return list(db.session.scalars(query))


def scope_codes(level: str, within: str | None, region: str | None = None) -> set[str] | None:
    """The areas of a map (regions, or the districts of ``region``) inside the scope of an
    area coordinator of ``within``; None when the scope is everything."""
    if within is None:
        return None
    found = area(within)
    if found is None:
        return set()
    region_code = found.kato if found.level == REGION else found.parent_code
    if level == REGION:
        return {region_code} if region_code else set()
    if region != region_code:
        return set()
    if found.level == REGION:
        return {a.kato for a in list_areas(region_code)}
    return {found.kato}


def region_of(code: str) -> str | None:
    """The region of an area code (itself for a region)."""
    found = area(code)
    if found is None:
        return None
    return found.kato if found.level == REGION else found.parent_code


@dataclass(frozen=True)
class SchoolArea:
    locality: str
    district: str
    region: str
    version: str


def school_area(school: School | None, lang: str) -> SchoolArea | None:
    """Where a school is, in words, for its coordinator; None when it is not mapped."""
    if school is None or not school.kato_locality or not school.kato_version:
        return None
    district = area(school.kato_district or "", school.kato_version)
    region = area(school.kato_region or "", school.kato_version)
    return SchoolArea(
        school.kato_locality,
        name_of(district, lang) if district else school.kato_district or "",
        name_of(region, lang) if region else school.kato_region or "",
        school.kato_version,
    )


# The three cities of republican significance: they stand with the regions.
REPUBLICAN_CITIES = frozenset({"710000000", "750000000", "790000000"})


def area_kind(code: str, level: str, known: Callable[[str], bool] | None = None) -> str:
    """What a region or district is, as the aggregate packages name it: ``region`` or
    ``city`` (of republican significance) for a region; for a district, ``city`` (of regional
    significance: KATO's third and fourth digits 10–29, the city's own administration) or
    ``district`` (an audan, or a city district). ``known(code)`` says whether a code is an
    area of the list (a city district ``ABCDEF000`` has its city ``ABCD00000`` there)."""
    if level == REGION:
        return "city" if code in REPUBLICAN_CITIES else REGION
    if code[:2] + "0000000" in REPUBLICAN_CITIES or not 10 <= int(code[2:4]) <= 29:
        return DISTRICT
    city = code[:4] + "00000"
    if code[4:6] != "00" and (known or (lambda c: area(c) is not None))(city):
        return DISTRICT  # a district of a city of regional significance (Zhanasemey)
    return "city"
