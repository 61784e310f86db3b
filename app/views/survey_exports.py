"""A closed wave's results as files for the school's coordinator: CSV, XLSX and a PDF report.
The same reading as the results page (the same suppression, the same refusals); never cached."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import require_role
from ..content_catalog import catalog
from ..problems import PlainProblem
from ..result_labels import export_words, trend_words
from ..services import result_exports, schools, survey_results, table_files
from ..services.actors import ActorRole
from .surveys import coordinator_school_id, read_results

bp = Blueprint("survey_exports", __name__, url_prefix="/surveys")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _wave(wave_id: int) -> survey_results.WaveResults:
    """The closed wave of the coordinator's own school, or a plain refusal."""
    school_id = coordinator_school_id()
    return read_results(
        lambda: survey_results.wave_results(wave_id, school_id=school_id, catalog=catalog())
    )


def _trends(autumn_id: int, spring_id: int) -> survey_results.WaveTrends:
    """Autumn → spring of the coordinator's own school, or a plain refusal."""
    school_id = coordinator_school_id()
    return read_results(
        lambda: survey_results.school_trends(
            autumn_id, spring_id, school_id=school_id, catalog=catalog()
        )
    )


def _trend_name(trends: survey_results.WaveTrends) -> str:
    return f"{trends.autumn.wave_code}-{trends.spring.wave_code}-trend"


def _file(data: bytes, mimetype: str, results: survey_results.WaveResults, ext: str) -> Response:
    return _download(data, mimetype, f"{results.wave_code}-results.{ext}")


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/waves/<int:wave_id>/results.csv")
@require_role(ActorRole.COORDINATOR)
def results_csv(wave_id: int) -> ResponseReturnValue:
    results = _wave(wave_id)
    headers, rows = result_exports.export_rows(
        results, str(get_locale()), export_words(results.wave_code)
    )
    return _file(table_files.csv_bytes(headers, rows), "text/csv", results, "csv")


@bp.get("/waves/<int:wave_id>/results.xlsx")
@require_role(ActorRole.COORDINATOR)
def results_xlsx(wave_id: int) -> ResponseReturnValue:
    results = _wave(wave_id)
    data = result_exports.xlsx_bytes(results, str(get_locale()), export_words(results.wave_code))
    return _file(data, XLSX, results, "xlsx")


@bp.get("/waves/<int:wave_id>/results.pdf")
@require_role(ActorRole.COORDINATOR)
def results_pdf(wave_id: int) -> ResponseReturnValue:
    results = _wave(wave_id)
    school = schools.school(results.school_id)
    return _pdf(
        lambda: result_exports.pdf_bytes(
            results,
            school.name if school else results.school.name,
            str(get_locale()),
            export_words(results.wave_code),
        ),
        f"{results.wave_code}-results.pdf",
    )


def _pdf(make: Callable[[], bytes], name: str) -> Response:
    """The PDF ``make()`` returns, or a plain 503 when its font is not installed."""
    try:
        data = make()
    except result_exports.FontMissing as missing:
        raise PlainProblem(
            503,
            _(
                "The PDF report cannot be made: its font is not installed on the server. "
                "Ask the school's IT staff to install the Debian package fonts-dejavu-core."
            ),
        ) from missing
    return _download(data, "application/pdf", name)


# -- autumn to spring -----------------------------------------------------------------------


@bp.get("/trends/<int:autumn_id>/<int:spring_id>/results.csv")
@require_role(ActorRole.COORDINATOR)
def trend_csv(autumn_id: int, spring_id: int) -> ResponseReturnValue:
    trends = _trends(autumn_id, spring_id)
    words = trend_words(trends.autumn.wave_code, trends.spring.wave_code)
    headers, rows = result_exports.trend_rows(trends, str(get_locale()), export_words(), words)
    return _download(table_files.csv_bytes(headers, rows), "text/csv", _trend_name(trends) + ".csv")


@bp.get("/trends/<int:autumn_id>/<int:spring_id>/results.xlsx")
@require_role(ActorRole.COORDINATOR)
def trend_xlsx(autumn_id: int, spring_id: int) -> ResponseReturnValue:
    trends = _trends(autumn_id, spring_id)
    words = trend_words(trends.autumn.wave_code, trends.spring.wave_code)
    data = result_exports.trend_xlsx_bytes(trends, str(get_locale()), export_words(), words)
    return _download(data, XLSX, _trend_name(trends) + ".xlsx")


@bp.get("/trends/<int:autumn_id>/<int:spring_id>/results.pdf")
@require_role(ActorRole.COORDINATOR)
def trend_pdf(autumn_id: int, spring_id: int) -> ResponseReturnValue:
    trends = _trends(autumn_id, spring_id)
    school = schools.school(trends.school_id)
    words = trend_words(trends.autumn.wave_code, trends.spring.wave_code)
    return _pdf(
        lambda: result_exports.trend_pdf_bytes(
            trends,
            school.name if school else trends.spring.school.name,
            str(get_locale()),
            export_words(),
            words,
        ),
        _trend_name(trends) + ".pdf",
    )
