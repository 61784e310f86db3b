"""A closed wave's survey results as files for the school coordinator: one table (a row per unit
and indicator) for CSV and XLSX, and a PDF report of the school.

Every file is built from ``survey_results.wave_results``, which has already run the
recoverability check: a file holds exactly the cells the results page shows, and a hidden cell
carries its status and the plain-language reason, never a number. Nothing here reads a request:
the words in the reader's language arrive as ``Words``. The files of a frozen wave are
byte-identical on every download (fixed dates inside the XLSX and the PDF).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.packaging.core import DocumentProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from ..content.quiz_schema import pick
from . import result_charts
from .result_charts import Chart, ChartWords
from .survey_results import (
    SCHOOL,
    ResultCell,
    Trend,
    TrendRow,
    UnitResults,
    WaveResults,
    WaveTrends,
)
from .table_files import TableCell, spreadsheet_safe

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR, FONT_BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
FONT_PACKAGE = "fonts-dejavu-core"
ROW_LEVEL = 0  # the position of the level code in a row of ``export_rows``


@dataclass(frozen=True)
class Words:
    """What the files say, in the reader's language (the caller translates)."""

    headers: Sequence[str]  # level, unit, respondents, code, indicator, kind, numerator,
    # denominator, percent, status, reason
    levels: Mapping[str, str]  # school | class -> a word
    kinds: Mapping[str, str]  # reported_as -> a word
    reasons: Mapping[str, str]  # a hidden status -> why it is not shown
    sheets: Mapping[str, str]  # school | class | method -> a sheet name
    method_lines: Sequence[str]  # the disclosure rules in plain words
    title: str = ""
    wave: str = ""  # "Wave: %(code)s"-style text, already filled in
    answered: str = "%(count)s"  # "%(count)s answered." with the placeholder kept
    result: str = "%(percent)s%% (%(numerator)s of %(denominator)s)"
    table_headers: Sequence[str] = ()  # indicator, kind, result (the PDF's columns)
    method_title: str = ""
    help_title: str = ""
    help_lines: Sequence[str] = ()
    percent: str = "%(percent)s%%"  # a bar's value in the charts


@dataclass(frozen=True)
class TrendWords:
    """What the autumn-to-spring files say, in the reader's language (the caller translates)."""

    headers: Sequence[str]  # level, unit, code, indicator, kind, then respondents, numerator,
    # denominator, percent, status for autumn and again for spring, change, reason
    title: str
    waves: str  # "Autumn: … Spring: …", already filled in
    answered: str  # with %(autumn)s and %(spring)s kept
    table_headers: Sequence[str]  # indicator, autumn, spring, change (the PDF's columns)
    not_compared: str
    change: str  # with %(sign)s and %(points)s kept
    no_change: str
    method_lines: Sequence[str]
    series: tuple[str, str] = ("", "")  # what the charts call the autumn and the spring bars


class FontMissing(Exception):
    """The PDF's font (DejaVu Sans, from Debian's fonts-dejavu-core) is not installed."""


# -- one table: a row per unit and indicator ------------------------------------------------


def export_rows(
    results: WaveResults, lang: str, words: Words
) -> tuple[list[str], list[list[TableCell]]]:
    """The wave as a table: (headers, rows), numbers as ``int``, nothing for a hidden number."""
    rows: list[list[TableCell]] = []
    for unit in (results.school, *results.classes):
        rows.extend(_unit_rows(unit, lang, words))
    return list(words.headers), rows


def _unit_rows(unit: UnitResults, lang: str, words: Words) -> list[list[TableCell]]:
    start: list[TableCell] = [words.levels.get(unit.level, unit.level), unit.name, unit.respondents]
    if not unit.cells:  # nothing counted at all: say why, in one row
        nothing: list[TableCell] = [None] * 6
        return [[*start, *nothing, unit.status, _reason(unit.status, words)]]
    return [[*start, *_cell_values(cell, lang, words)] for cell in unit.cells]


def _cell_values(cell: ResultCell, lang: str, words: Words) -> list[TableCell]:
    shown = cell.shown
    return [
        cell.code,
        pick(cell.label, lang),
        words.kinds.get(cell.reported_as, cell.reported_as),
        cell.numerator if shown else None,
        cell.denominator if shown else None,
        cell.percent if shown else None,
        cell.status,
        _reason(cell.status, words),
    ]


def _reason(status: str, words: Words) -> str:
    return words.reasons.get(status, "")


def trend_rows(
    trends: WaveTrends, lang: str, words: Words, trend: TrendWords
) -> tuple[list[str], list[list[TableCell]]]:
    """Autumn → spring as a table: a row per unit and indicator both waves have; the change
    only where both values are shown, and nothing of a unit below the gate in either wave."""
    rows: list[list[TableCell]] = []
    for unit in (trends.school, *trends.classes):
        rows.extend(_trend_unit_rows(unit, lang, words))
    return list(trend.headers), rows


def _trend_unit_rows(unit: Trend, lang: str, words: Words) -> list[list[TableCell]]:
    start: list[TableCell] = [words.levels.get(unit.level, unit.level), unit.name]
    if not unit.rows:
        autumn, spring = unit.unit_status
        hidden = next((s for s in unit.unit_status if s != "ok"), unit.status)
        return [
            [
                *start,
                None,
                None,
                None,
                unit.respondents[0],
                None,
                None,
                None,
                autumn,
                unit.respondents[1],
                None,
                None,
                None,
                spring,
                None,
                _reason(hidden, words),
            ]
        ]
    return [[*start, *_trend_values(unit, row, lang, words)] for row in unit.rows]


def _trend_values(unit: Trend, row: TrendRow, lang: str, words: Words) -> list[TableCell]:
    hidden = next((c.status for c in (row.autumn, row.spring) if not c.shown), "")
    values: list[TableCell] = [
        row.code,
        pick(row.label, lang),
        words.kinds.get(row.reported_as, row.reported_as),
    ]
    for respondents, cell in zip(unit.respondents, (row.autumn, row.spring), strict=True):
        shown = cell.shown
        values.extend(
            [
                respondents,
                cell.numerator if shown else None,
                cell.denominator if shown else None,
                cell.percent if shown else None,
                cell.status,
            ]
        )
    return [*values, row.change, _reason(hidden, words)]


# -- XLSX: a sheet per level and the method -------------------------------------------------


def xlsx_bytes(results: WaveResults, lang: str, words: Words) -> bytes:
    """The wave as a workbook: the school, the classes, and the method; numbers as numbers."""
    headers, rows = export_rows(results, lang, words)
    return _workbook(headers, rows, words, (results.method, *words.method_lines), _moment(results))


def trend_xlsx_bytes(trends: WaveTrends, lang: str, words: Words, trend: TrendWords) -> bytes:
    """Autumn → spring as a workbook: the school, the classes and the method."""
    headers, rows = trend_rows(trends, lang, words, trend)
    lines = (trends.spring.method, trend.waves, *trend.method_lines, *words.method_lines)
    return _workbook(headers, rows, words, lines, _trend_moment(trends))


def _workbook(
    headers: Sequence[str],
    rows: Sequence[Sequence[TableCell]],
    words: Words,
    method_lines: Sequence[str],
    moment: datetime,
) -> bytes:
    school_level = words.levels.get(SCHOOL, SCHOOL)
    book = Workbook()
    school_sheet = book.active
    school_sheet.title = _sheet_name(words.sheets["school"])
    _fill(school_sheet, headers, [r for r in rows if r[ROW_LEVEL] == school_level])
    classes_sheet = book.create_sheet(_sheet_name(words.sheets["class"]))
    _fill(classes_sheet, headers, [r for r in rows if r[ROW_LEVEL] != school_level])
    method_sheet = book.create_sheet(_sheet_name(words.sheets["method"]))
    for line in method_lines:
        method_sheet.append([spreadsheet_safe(line)])
    method_sheet.column_dimensions["A"].width = 100
    return _fixed_zip(book, moment)


def _fill(sheet: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[TableCell]]) -> None:
    sheet.append([spreadsheet_safe(h) for h in headers])
    for row in rows:
        sheet.append([spreadsheet_safe(c) if isinstance(c, str) else c for c in row])
    sheet.freeze_panes = "A2"


def _sheet_name(name: str) -> str:
    """A name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()
    return cleaned[:31] or "Sheet"


def _moment(results: WaveResults) -> datetime:
    """The one date every file of the wave carries: when its results were frozen."""
    return datetime.combine(results.computed_on, time(0, 0))


def _trend_moment(trends: WaveTrends) -> datetime:
    return datetime.combine(trends.computed_on, time(0, 0))


def _fixed_zip(book: Workbook, moment: datetime) -> bytes:
    """Save the workbook with fixed dates (its properties and every zip entry), so that the
    same wave gives the same bytes."""
    saved = io.BytesIO()
    book.save(saved)  # openpyxl stamps "modified" with the clock: rewritten below
    properties = DocumentProperties(creator="Qadam", created=moment, modified=moment)
    core = tostring(properties.to_tree())
    stamp = (max(moment.year, 1980), moment.month, moment.day, 0, 0, 0)
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            data = core if entry.filename == "docProps/core.xml" else source.read(entry)
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    return fixed.getvalue()


# -- PDF: the school's report ---------------------------------------------------------------


def font_files(font_dir: Path | None = None) -> tuple[Path, Path]:
    """DejaVu Sans (regular, bold), or ``FontMissing`` saying which package provides it."""
    folder = font_dir or FONT_DIR
    found = (folder / FONT_REGULAR, folder / FONT_BOLD)
    missing = [str(path) for path in found if not path.is_file()]
    if missing:
        raise FontMissing(
            f"The PDF font is missing ({', '.join(missing)}): "
            f"install the Debian package {FONT_PACKAGE}."
        )
    return found


def pdf_bytes(
    results: WaveResults, school_name: str, lang: str, words: Words, font_dir: Path | None = None
) -> bytes:
    """The school's report: its name, the wave, a chart and a table per unit, the method and
    the help."""
    pdf = _report(results.computed_on, f"{words.title}: {school_name}", lang, font_dir)
    _heading(pdf, school_name, 16)
    _paragraph(pdf, f"{words.title}. {words.wave}")
    for unit in (results.school, *results.classes):
        _unit_table(pdf, unit, lang, words)
    _closing(pdf, words, (*words.method_lines, results.method))
    return bytes(pdf.output())


def trend_pdf_bytes(
    trends: WaveTrends,
    school_name: str,
    lang: str,
    words: Words,
    trend: TrendWords,
    font_dir: Path | None = None,
) -> bytes:
    """The school's autumn-to-spring report: a chart and a table per unit in both waves."""
    pdf = _report(trends.computed_on, f"{trend.title}: {school_name}", lang, font_dir)
    _heading(pdf, school_name, 16)
    _paragraph(pdf, f"{trend.title}. {trend.waves}")
    for unit in (trends.school, *trends.classes):
        _trend_table(pdf, unit, lang, words, trend)
    lines = (*trend.method_lines, *words.method_lines, trends.spring.method)
    _closing(pdf, words, lines)
    return bytes(pdf.output())


def _report(day: date, title: str, lang: str, font_dir: Path | None) -> FPDF:
    regular, bold = font_files(font_dir)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.combine(day, time(0, 0), tzinfo=UTC))
    pdf.set_lang(lang)
    pdf.set_title(title)
    pdf.set_creator("Qadam")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def _closing(pdf: FPDF, words: Words, method_lines: Sequence[str]) -> None:
    _heading(pdf, words.method_title, 13)
    for line in method_lines:
        _paragraph(pdf, line)
    _heading(pdf, words.help_title, 13)
    for line in words.help_lines:
        _paragraph(pdf, line)


def _heading(pdf: FPDF, text: str, size: int) -> None:
    pdf.set_font("DejaVu", "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _unit_table(pdf: FPDF, unit: UnitResults, lang: str, words: Words) -> None:
    level = words.levels.get(unit.level, unit.level)
    _heading(pdf, f"{level}: {unit.name}", 12)
    _paragraph(pdf, words.answered % {"count": unit.respondents})
    if unit.status != "ok" or not unit.cells:
        _paragraph(pdf, _reason(unit.status, words))
        return
    chart_words = ChartWords("", words.percent, words.reasons)
    draw_chart(pdf, result_charts.unit_chart(unit, lang, chart_words))
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(50, 25, 35), first_row_as_headings=True) as table:
        table.row(list(words.table_headers))
        for cell in unit.cells:
            table.row(
                [
                    pick(cell.label, lang),
                    words.kinds.get(cell.reported_as, cell.reported_as),
                    _result_text(cell, words),
                ]
            )
    pdf.ln(4)


def _result_text(cell: ResultCell, words: Words) -> str:
    if not cell.shown:
        return _reason(cell.status, words)
    return words.result % {
        "percent": cell.percent,
        "numerator": cell.numerator,
        "denominator": cell.denominator,
    }


def _trend_table(pdf: FPDF, unit: Trend, lang: str, words: Words, trend: TrendWords) -> None:
    level = words.levels.get(unit.level, unit.level)
    _heading(pdf, f"{level}: {unit.name}", 12)
    autumn, spring = unit.respondents
    _paragraph(pdf, trend.answered % {"autumn": autumn, "spring": spring})
    if unit.status != "ok" or not unit.rows:
        hidden = next((s for s in unit.unit_status if s != "ok"), unit.status)
        _paragraph(pdf, _reason(hidden, words))
        return
    chart_words = ChartWords("", words.percent, words.reasons, trend.series)
    draw_chart(pdf, result_charts.trend_chart(unit, lang, chart_words))
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(50, 30, 30, 25), first_row_as_headings=True) as table:
        table.row(list(trend.table_headers))
        for row in unit.rows:
            table.row(
                [
                    pick(row.label, lang),
                    _result_text(row.autumn, words),
                    _result_text(row.spring, words),
                    _change_text(row.change, trend),
                ]
            )
    pdf.ln(4)


def _change_text(change: int | None, trend: TrendWords) -> str:
    if change is None:
        return trend.not_compared
    if change == 0:
        return trend.no_change
    return trend.change % {"sign": "+" if change > 0 else "−", "points": abs(change)}


# -- charts in the PDF: the same rows as the page's SVG, drawn as rectangles ---------------

BAR_MM, GAP_MM, LINE_MM = 5.0, 1.5, 4.5


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def draw_chart(pdf: FPDF, chart: Chart) -> None:
    """Draw ``chart`` across the page: per indicator its label, then each bar (a hidden value
    as a hatched track with its status in words), the value written beside it."""
    if not chart.rows:
        return
    series_width = pdf.epw * result_charts.SERIES_WIDTH / 100 if chart.series else 0.0
    track_width = pdf.epw * result_charts.TRACK_END / 100 - series_width
    for row in chart.rows:
        pdf.set_font("DejaVu", "B", 9)
        lines = _lines(pdf, row.label, pdf.epw)
        hidden = sum(bar.hidden for bar in row.bars)
        needed = len(lines) * LINE_MM + len(row.bars) * (BAR_MM + GAP_MM) + hidden * 2 * LINE_MM
        if pdf.get_y() + needed > pdf.page_break_trigger:
            pdf.add_page()
        # The colours and line width of the chart stay in it (the tables after it fill with
        # the current colour otherwise).
        with pdf.local_context():
            pdf.set_line_width(0.2)
            pdf.set_draw_color(*_rgb(result_charts.TRACK))
            pdf.set_text_color(*_rgb(result_charts.INK))
            _write_lines(pdf, lines, pdf.l_margin, LINE_MM)
            for index, bar in enumerate(row.bars):
                _draw_bar(pdf, bar, index, series_width, track_width)
        pdf.ln(2)
    pdf.ln(2)


_LINES: dict[tuple[str, float, float, str], list[str]] = {}


def _lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` broken into lines of ``width`` in the current font; a chart repeats the same
    labels for every class, and fpdf2's line breaking is the costly part of drawing it."""
    key = (pdf.font_style, pdf.font_size_pt, round(width, 2), text)
    found = _LINES.get(key)
    if found is None:
        broken = pdf.multi_cell(width, LINE_MM, text, dry_run=True, output="LINES")
        found = list(broken) if isinstance(broken, list) else [text]
        if len(_LINES) > 4096:
            _LINES.clear()
        _LINES[key] = found
    return found


def _write_lines(pdf: FPDF, lines: list[str], x: float, height: float) -> None:
    for line in lines:
        pdf.set_x(x)
        pdf.cell(0, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _draw_bar(
    pdf: FPDF, bar: result_charts.Bar, index: int, series_width: float, track_width: float
) -> None:
    left, y = pdf.l_margin, pdf.get_y()
    x = left + series_width
    if bar.series:
        pdf.set_font("DejaVu", "", 9)
        pdf.set_xy(left, y)
        pdf.cell(series_width, BAR_MM, bar.series)
    if bar.hidden:
        _hatched(pdf, x, y, track_width, BAR_MM)
        pdf.rect(x, y, track_width, BAR_MM, style="D")
        pdf.set_xy(x, y + BAR_MM + 0.5)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(*_rgb(result_charts.MUTED))
        _write_lines(pdf, _lines(pdf, bar.text, pdf.epw - series_width), x, 4)
        pdf.set_text_color(*_rgb(result_charts.INK))
        pdf.ln(GAP_MM)
        return
    fill = result_charts.SERIES_FILLS[index % len(result_charts.SERIES_FILLS)]
    pdf.set_fill_color(*_rgb(fill))
    if bar.percent:
        pdf.rect(x, y, track_width * bar.percent / 100, BAR_MM, style="F")
    pdf.rect(x, y, track_width, BAR_MM, style="D")
    pdf.set_font("DejaVu", "B", 9)
    pdf.set_xy(x + track_width, y)
    pdf.cell(pdf.epw - series_width - track_width, BAR_MM, bar.text, align="R")
    pdf.set_xy(left, y + BAR_MM + GAP_MM)


def _hatched(pdf: FPDF, x: float, y: float, width: float, height: float) -> None:
    """Diagonal lines across the rectangle, clipped to it."""
    pdf.set_draw_color(*_rgb(result_charts.HATCH_INK))
    with pdf.rect_clip(x, y, width, height):
        step = 1.6
        offset = -height
        while offset < width:
            pdf.line(x + offset, y + height, x + offset + height, y)
            offset += step
    pdf.set_draw_color(*_rgb(result_charts.TRACK))
