"""Areas: the KATO lists, schools mapped to them, area coordinators, and the map page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Area, CoordinatorGrant, Person, School
from app.services import areas
from tests.web.test_schools import CLASS_A, CLASS_B, add_lyceum, csrf, make_coordinator, school_id

ROOT = Path(__file__).resolve().parents[2]


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def ok(app: Any, *args: str) -> str:
    result = run(app, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def two_schools(app: Any, client: Any, platform: Any) -> tuple[int, int]:
    """School A (a deployment's) in Kokshetau, Akmola; the Lyceum in Almaly, Almaty city."""
    ok(app, "area", "import")
    add_lyceum(app, platform)
    platform.launch(client, "instructor", locale="en", context=CLASS_A, sub="teacher-a")
    platform.launch(
        client,
        "instructor",
        locale="en",
        context=CLASS_B,
        sub="teacher-b",
        custom={"qadam_school": "lyceum-9"},
    )
    with app.app_context():
        first = db.session.scalars(select(School).where(School.key.like("deployment:%"))).one()
        first.name = "School 1 Kokshetau"
        db.session.commit()
        school_a = first.id
    lyceum = school_id(app, "Lyceum 9")
    ok(app, "school", "map", str(school_a), "--kato", "111030100")
    ok(app, "school", "map", str(lyceum), "--kato", "751110123")
    return school_a, lyceum


def area_code(app: Any, platform: Any, code: str) -> str:
    out = ok(app, "coordinator", "code", "--area", code, "--issuer", platform.issuer)
    return out.strip().splitlines()[0]


def redeem(platform: Any, client: Any, code: str, sub: str) -> Any:
    platform.launch(client, "instructor", locale="en", sub=sub, context=CLASS_A)
    page = client.get("/coordinator/code").get_data(as_text=True)
    action = re.search(r'action="(/coordinator/code[^"]*)"', page).group(1).replace("&amp;", "&")
    return client.post(action, data={"csrf_token": csrf(page), "code": code})


def test_import_is_idempotent_and_counts_20_regions_and_224_districts(app: Any) -> None:
    first = ok(app, "area", "import")
    assert "20 regions, 224 districts (244 added, 0 updated, 0 retired)" in first
    again = ok(app, "area", "import")
    assert "20 regions, 224 districts (0 added, 0 updated, 0 retired)" in again
    with app.app_context():
        assert db.session.scalar(select(func.count(Area.id))) == 244
        almaly = areas.area("751110000")
        assert (almaly.level, almaly.parent_code, almaly.name_kk) == (
            "district",
            "750000000",
            "Алмалы",
        )
    assert "Ulytau" in ok(app, "area", "list")
    assert "Almaly" in ok(app, "area", "list", "--region", "750000000")


def test_mapping_a_school_derives_its_district_and_region(
    app: Any, client: Any, platform: Any
) -> None:
    school_a, lyceum = two_schools(app, client, platform)
    with app.app_context():
        a = db.session.get(School, school_a)
        assert (a.kato_locality, a.kato_district, a.kato_region, a.kato_version) == (
            "111030100",
            "111000000",  # Kokshetau
            "110000000",  # Akmola
            "2024",
        )
        b = db.session.get(School, lyceum)
        assert (b.kato_district, b.kato_region) == ("751110000", "750000000")  # Almaly, Almaty
    # A city district (6 significant digits) wins over the city around it.
    out = ok(app, "school", "map", str(school_a), "--kato", "101010500")
    assert "district 101010000 (Zharasemey), region 100000000 (Abay)" in out
    listed = ok(app, "school", "list")
    assert "kato=751110123 district=751110000 region=750000000 (KATO 2024)" in listed


@pytest.mark.parametrize(
    ("kato", "message"),
    [
        ("12345", "A KATO code has 9 digits"),
        ("999999999", "990000000 is not a region in the KATO 2024 list"),
        ("119900000", "No district of the KATO 2024 list begins the locality code 119900000"),
    ],
)
def test_an_unknown_code_is_refused_plainly(
    app: Any, client: Any, platform: Any, kato: str, message: str
) -> None:
    school_a, _ = two_schools(app, client, platform)
    result = run(app, "school", "map", str(school_a), "--kato", kato)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.get(School, school_a).kato_locality == "111030100"  # unchanged


def test_a_district_override_must_be_in_the_localitys_region(
    app: Any, client: Any, platform: Any
) -> None:
    school_a, _ = two_schools(app, client, platform)
    out = ok(app, "school", "map", str(school_a), "--kato", "119900000", "--district", "111600000")
    assert "district 111600000 (Kosshy)" in out
    result = run(
        app, "school", "map", str(school_a), "--kato", "119900000", "--district", "751110000"
    )
    assert result.exit_code == 2
    assert "not in the region of district 751110000" in result.output


def test_a_retired_district_is_refused(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    school_a, _ = two_schools(app, client, platform)
    for name in ("kaz_adm1_kato_2024.csv", "kaz_adm2_kato_2024.csv"):
        shutil.copy(areas.DATA_DIR / name, tmp_path / name)
    listed = (tmp_path / "kaz_adm2_kato_2024.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in listed if not line.startswith("111600000,")]  # Kosshy
    (tmp_path / "kaz_adm2_kato_2024.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    with app.app_context():
        report = areas.import_lists(data_dir=tmp_path)
    assert (report.districts, report.retired) == (223, 1)
    result = run(app, "school", "map", str(school_a), "--kato", "111600100")
    assert result.exit_code == 2
    assert "111600000 (Kosshy) of 111600100 is retired" in result.output
    result = run(app, "coordinator", "code", "--area", "111600000", "--issuer", platform.issuer)
    assert result.exit_code == 2
    assert "retired" in result.output
    # Importing the shipped lists again brings it back.
    assert "1 updated" in ok(app, "area", "import")


def test_an_area_coordinator_sees_the_schools_of_their_area_and_nothing_else(
    app: Any, client: Any, platform: Any
) -> None:
    two_schools(app, client, platform)
    staff = app.test_client()
    entered = redeem(platform, staff, area_code(app, platform, "110000000"), "akmola-staff")
    assert entered.status_code == 303
    assert entered.headers["Location"].startswith("/coordinator/area")
    with app.app_context():
        grant = db.session.scalars(select(CoordinatorGrant)).one()
        assert (grant.area_code, grant.school_id, grant.safeguarding) == ("110000000", None, False)
    page = staff.get("/coordinator/area").get_data(as_text=True)
    assert "Akmola" in page
    assert "School 1 Kokshetau" in page
    assert "111030100" in page
    assert "Lyceum 9" not in page
    # Not a school's pages: no classes, waves or school name.
    assert staff.get("/coordinator").status_code == 303
    assert staff.get("/surveys/waves").status_code == 403
    token = csrf(page)
    assert (
        staff.post("/coordinator/school-name", data={"csrf_token": token, "name": "X"}).status_code
        == 403
    )
    # The next launch from Moodle keeps the area scope (never the school launched from).
    platform.launch(staff, "instructor", locale="en", sub="akmola-staff", context=CLASS_B)
    with staff.session_transaction() as session:
        scopes = {(e["cs"], e["ca"]) for e in session["launches"].values()}
    assert scopes == {(None, "110000000")}, "an area grant never covers the launch's school"
    again = staff.get("/coordinator", follow_redirects=True).get_data(as_text=True)
    assert "School 1 Kokshetau" in again
    assert "Lyceum 9" not in again
    assert ">8B Lyceum<" not in again
    # The map: their region's districts; another region's refused.
    assert staff.get("/coordinator/area/map").status_code == 200
    districts = staff.get("/coordinator/area/map?region=110000000")
    assert districts.status_code == 200
    assert 'data-kato="111000000"' in districts.get_data(as_text=True)
    assert staff.get("/coordinator/area/map?region=750000000").status_code == 403
    assert staff.get("/coordinator/area/map?region=123").status_code == 404


def test_a_district_coordinator_sees_only_their_district(
    app: Any, client: Any, platform: Any
) -> None:
    school_a, _ = two_schools(app, client, platform)
    ok(app, "school", "map", str(school_a), "--kato", "111600100")  # now in Kosshy
    staff = app.test_client()
    redeem(platform, staff, area_code(app, platform, "111000000"), "kokshetau-staff")
    page = staff.get("/coordinator/area").get_data(as_text=True)
    assert "Kokshetau" in page
    assert "School 1 Kokshetau" not in page
    assert "No school is mapped to your area yet" in page


def test_a_school_coordinator_sees_no_area_page(app: Any, client: Any, platform: Any) -> None:
    two_schools(app, client, platform)
    coordinator = app.test_client()
    make_coordinator(app, platform, coordinator, "psychologist-lyceum", school_id(app, "Lyceum 9"))
    assert coordinator.get("/coordinator").status_code == 200
    for url in (
        "/coordinator/area",
        "/coordinator/area/map",
        "/coordinator/area/map?region=750000000",
    ):
        refused = coordinator.get(url)
        assert refused.status_code == 403, url
        assert "district and region coordinators" in refused.get_data(as_text=True)
    teacher = app.test_client()
    platform.launch(teacher, "instructor", locale="en", context=CLASS_A, sub="teacher-z")
    assert teacher.get("/coordinator/area").status_code == 403


def test_the_region_map_page_for_a_site_administrator(app: Any, client: Any, platform: Any) -> None:
    two_schools(app, client, platform)
    admin = app.test_client()
    platform.launch(admin, "admin", locale="en", context=CLASS_A, sub="site-admin")
    response = admin.get("/coordinator/area/map")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<path ") == 20
    assert "Akmola: 1</title>" in html
    assert "Almaty (city): 1</title>" in html
    assert "Ulytau: 0</title>" in html
    assert "CC BY 4.0" in html
    assert "not a survey result" in html
    css = admin.get("/static/css/qadam.css").get_data()
    icon = admin.get("/static/img/qadam.svg").get_data()
    total = len(response.get_data()) + len(css) + len(icon)
    print(
        f"region map page: HTML {len(response.get_data()):,} B + CSS {len(css):,} B + icon "
        f"{len(icon):,} B = {total:,} B uncompressed"
    )
    assert total <= 60_000
    # A region's districts, linked from the table.
    assert 'href="/coordinator/area/map?region=110000000' in html
    districts = admin.get("/coordinator/area/map?region=750000000").get_data(as_text=True)
    assert "Almaly: 1</title>" in districts
    assert districts.count("<path ") == 8


def test_area_codes_refuse_safeguarding_and_unknown_areas(app: Any, platform: Any) -> None:
    ok(app, "area", "import")
    result = run(app, "coordinator", "code", "--area", "110000000", "--safeguarding")
    assert result.exit_code == 2
    assert "safeguarding staff belong to a school" in result.output
    result = run(app, "coordinator", "code", "--area", "990000000", "--issuer", platform.issuer)
    assert result.exit_code == 2
    assert "not a region in the KATO 2024 list" in result.output


def test_a_grant_is_for_a_school_or_an_area_never_both(
    app: Any, client: Any, platform: Any
) -> None:
    school_a, _ = two_schools(app, client, platform)
    with app.app_context():
        person = db.session.scalars(select(Person)).first()
        db.session.add(
            CoordinatorGrant(
                person_id=person.id, school_id=school_a, area_code="110000000", granted_by="x"
            )
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_school_coordinator_sees_where_their_school_is(
    app: Any, client: Any, platform: Any
) -> None:
    two_schools(app, client, platform)
    coordinator = app.test_client()
    make_coordinator(app, platform, coordinator, "psychologist-lyceum", school_id(app, "Lyceum 9"))
    page = coordinator.get("/coordinator").get_data(as_text=True)
    assert "Area: Almaly, Almaty (city) (KATO 751110123, list of 2024)." in page
