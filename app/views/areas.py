"""Area coordinators (district or region staff): the schools of their area, and the map."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..auth import require_role
from ..problems import PlainProblem
from ..services import area_map, area_results, areas
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
    """A choropleth of a chosen indicator and period (or, before any period is final, of the
    schools mapped) per region, or per district of one region, with the table beside it."""
    actor = g.actor
    if actor.coordinator_area is None and not actor.site_wide:
        raise _not_for_you()
    region = _map_region()
    level = areas.DISTRICT if region else areas.REGION
    periods = area_results.published_periods()
    if not periods:
        return _schools_map(region, level)
    return _figures_map(region, level, periods)


def _scope(level: str, region: str | None) -> tuple[dict[str, area_map.Shape], set[str] | None]:
    shapes = area_map.district_shapes(region) if region else area_map.region_shapes()
    return shapes, areas.scope_codes(level, g.actor.coordinator_area, region)


def _linkable(shapes: dict[str, area_map.Shape], region: str | None) -> set[str]:
    """The regions whose districts the person may open from the table."""
    within = g.actor.coordinator_area
    if region:
        return set()
    return set(shapes) if within is None else {areas.region_of(within) or ""}


def _hidden_words() -> dict[str, str]:
    return {
        area_map.SUPPRESSED: _("hidden (too few to show)"),
        area_map.BELOW_GATE: _("hidden (too few answers or schools)"),
        area_map.NO_DATA: _("not in your area"),
    }


def _schools_map(region: str | None, level: str) -> ResponseReturnValue:
    within = g.actor.coordinator_area
    platform_id = None if within else g.actor.platform_id
    counts = areas.schools_mapped(level, platform_id=platform_id, within=within)
    shapes, scope = _scope(level, region)
    values = {
        code: area_map.AreaValue.of(area_map.OK, counts.get(code, 0))
        for code in shapes
        if scope is None or code in scope
    }
    region_name = names_of_region(region)
    title = (
        _("Schools mapped in Qadam, by district of %(region)s", region=region_name)
        if region
        else _("Schools mapped in Qadam, by region")
    )
    rendered = area_map.render_map(
        shapes,
        values,
        areas.names(level, _lang()),
        area_map.MapLabels(
            title=title,
            description=_(
                "A map where darker areas have more schools mapped. The same numbers are in "
                "the table beside the map."
            ),
            hidden=_("Hidden: too few answers or schools to show without risking anonymity"),
            no_data=_("Not in your area"),
            status_text=_hidden_words(),
        ),
    )
    return render_template(
        "areas/map.html",
        svg=Markup(rendered.svg),  # noqa: S704 (area_map escapes every text it writes)
        rows=rendered.rows,
        title=title,
        region=region,
        linkable=_linkable(shapes, region),
        figures=None,
    )


def indicator_name(indicator: area_results.Indicator) -> str:
    """An indicator's name in the page's language."""
    extra = {
        area_results.PARTICIPATION: _("Participation: students who answered the survey"),
        area_results.QUIZ_COMPLETION: _(
            "Quiz completion: students who finished the quizzes of the lessons given"
        ),
    }
    if indicator.code in extra:
        return extra[indicator.code]
    label = indicator.label
    return str(label.get(_lang()) or label.get("en") or indicator.code)


def _chosen(periods: list[str]) -> tuple[str, list[area_results.Indicator], str]:
    """The period and indicator asked for (the newest period and its first indicator when
    none, or an unknown one, is asked for)."""
    period = request.args.get("period", "")
    if period not in periods:
        period = periods[0]
    indicators = area_results.period_indicators(period)
    codes = [i.code for i in indicators]
    indicator = request.args.get("indicator", "")
    return period, indicators, indicator if indicator in codes else codes[0]


def _figures_map(region: str | None, level: str, periods: list[str]) -> ResponseReturnValue:
    period, indicators, code = _chosen(periods)
    try:
        figures = area_results.map_figures(period, code, level, region)
    except area_results.NotPublishable:
        raise PlainProblem(
            409, _("These figures cannot be shown: a hidden number could be worked out.")
        ) from None
    shapes, scope = _scope(level, region)
    unavailable = area_map.AreaValue.of(area_map.UNAVAILABLE)
    values = {
        c: area_map.AreaValue.of(figures[c].status, figures[c].percent)
        if c in figures
        else unavailable
        for c in shapes
        if scope is None or c in scope
    }
    chosen = next(i for i in indicators if i.code == code)
    name = indicator_name(chosen)
    title = (
        _(
            "%(indicator)s, %(period)s, by district of %(region)s",
            indicator=name,
            period=period,
            region=names_of_region(region),
        )
        if region
        else _("%(indicator)s, %(period)s, by region", indicator=name, period=period)
    )
    rendered = area_map.render_map(
        shapes,
        values,
        areas.names(level, _lang()),
        area_map.MapLabels(
            title=title,
            description=_(
                "A map where darker areas have a higher percentage. Hatched areas show no "
                "number, to protect anonymity. The same figures are in the table beside the map."
            ),
            hidden=_("Hidden: too few answers or schools to show without risking anonymity"),
            no_data=_("Not in your area"),
            unavailable=_("No figures for this area and period"),
            status_text={**_hidden_words(), area_map.UNAVAILABLE: _("no figures")},
        ),
        fmt=lambda value: f"{value:.0f}%",
    )
    return render_template(
        "areas/map.html",
        svg=Markup(rendered.svg),  # noqa: S704 (area_map escapes every text it writes)
        rows=rendered.rows,
        title=title,
        region=region,
        linkable=_linkable(shapes, region),
        figures=figures,
        periods=periods,
        period=period,
        indicators=[(i.code, indicator_name(i)) for i in indicators],
        indicator=code,
        gate=area_results.AREA_RULES,
    )


def names_of_region(region: str | None) -> str:
    if region is None:
        return ""
    found = areas.area(region)
    return areas.name_of(found, _lang()) if found else region
