"""Area coordinators (district or region staff): the schools of their area, and the map."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..auth import require_role
from ..problems import PlainProblem
from ..services import area_map, areas
from ..services.actors import ActorRole

bp = Blueprint("areas", __name__, url_prefix="/coordinator/area")


def _lang() -> str:
    return str(get_locale() or "en")


def _not_for_you() -> PlainProblem:
    return PlainProblem(
        403, _("These pages are for district and region coordinators and site administrators.")
    )


@bp.get("")
@require_role(ActorRole.COORDINATOR)
def area() -> ResponseReturnValue:
    """The area coordinator's page: their area and the schools mapped into it."""
    code = g.actor.coordinator_area
    if code is None:
        raise _not_for_you()
    found = areas.area(code)
    return render_template(
        "areas/area.html",
        area=found,
        area_name=areas.name_of(found, _lang()) if found else code,
        code=code,
        schools=areas.schools_in_area(code, _lang()),
    )


def _map_region() -> str | None:
    """The region whose districts are asked for, if any, when the person may see it."""
    wanted = request.args.get("region")
    if not wanted:
        return None
    try:
        found = areas.usable_area(wanted)
    except areas.AreaInputError:
        raise PlainProblem(404, _("There is no such region.")) from None
    if found.level != areas.REGION:
        raise PlainProblem(404, _("There is no such region."))
    own = g.actor.coordinator_area
    if own is not None and areas.region_of(own) != found.kato:
        raise PlainProblem(403, _("You see the map of your own region only."))
    return found.kato


@bp.get("/map")
@require_role(ActorRole.COORDINATOR)
def map_page() -> ResponseReturnValue:
    """Schools mapped per region, or per district of one region, as a map and a table."""
    actor = g.actor
    if actor.coordinator_area is None and not actor.site_wide:
        raise _not_for_you()
    region = _map_region()
    level = areas.DISTRICT if region else areas.REGION
    within = actor.coordinator_area
    platform_id = None if within else actor.platform_id
    counts = areas.schools_mapped(level, platform_id=platform_id, within=within)
    shapes = area_map.district_shapes(region) if region else area_map.region_shapes()
    scope = areas.scope_codes(level, within, region)
    values = {
        code: area_map.AreaValue.of(area_map.OK, counts.get(code, 0))
        for code in shapes
        if scope is None or code in scope
    }
    names = areas.names(level, _lang())
    region_name = names_of_region(region)
    title = (
        _("Schools mapped in Qadam, by district of %(region)s", region=region_name)
        if region
        else _("Schools mapped in Qadam, by region")
    )
    rendered = area_map.render_map(
        shapes,
        values,
        names,
        area_map.MapLabels(
            title=title,
            description=_(
                "A map where darker areas have more schools mapped. The same numbers are in "
                "the table beside the map."
            ),
            hidden=_("Hidden: too few answers or schools to show without risking anonymity"),
            no_data=_("Not in your area"),
            status_text={
                area_map.SUPPRESSED: _("hidden (too few to show)"),
                area_map.BELOW_GATE: _("hidden (too few answers or schools)"),
                area_map.NO_DATA: _("not in your area"),
            },
        ),
    )
    linkable = (
        set(shapes)
        if not region and within is None
        else {areas.region_of(within)}
        if not region and within
        else set()
    )
    return render_template(
        "areas/map.html",
        svg=Markup(rendered.svg),  # noqa: S704 (area_map escapes every text it writes)
        rows=rendered.rows,
        title=title,
        region=region,
        linkable=linkable,
    )


def names_of_region(region: str | None) -> str:
    if region is None:
        return ""
    found = areas.area(region)
    return areas.name_of(found, _lang()) if found else region
