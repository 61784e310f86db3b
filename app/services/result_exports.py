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
from datetime import UTC, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.packaging.core import DocumentProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from ..content.quiz_schema import pick
from .survey_results import SCHOOL, ResultCell, UnitResults, WaveResults
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


# -- XLSX: a sheet per level and the method -------------------------------------------------


def xlsx_bytes(results: WaveResults, lang: str, words: Words) -> bytes:
    """The wave as a workbook: the school, the classes, and the method; numbers as numbers."""
    headers, rows = export_rows(results, lang, words)
    school_level = words.levels.get(SCHOOL, SCHOOL)
    book = Workbook()
    school_sheet = book.active
    school_sheet.title = _sheet_name(words.sheets["school"])
    _fill(school_sheet, headers, [r for r in rows if r[ROW_LEVEL] == school_level])
    classes_sheet = book.create_sheet(_sheet_name(words.sheets["class"]))
    _fill(classes_sheet, headers, [r for r in rows if r[ROW_LEVEL] != school_level])
    method_sheet = book.create_sheet(_sheet_name(words.sheets["method"]))
    for line in (results.method, *words.method_lines):
        method_sheet.append([spreadsheet_safe(line)])
    method_sheet.column_dimensions["A"].width = 100
    return _fixed_zip(book, _moment(results))


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
    """The school's report: its name, the wave, a table per unit, the method and the help."""
    regular, bold = font_files(font_dir)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.combine(results.computed_on, time(0, 0), tzinfo=UTC))
    pdf.set_lang(lang)
    pdf.set_title(f"{words.title}: {school_name}")
    pdf.set_creator("Qadam")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    _heading(pdf, school_name, 16)
    _paragraph(pdf, f"{words.title}. {words.wave}")
    for unit in (results.school, *results.classes):
        _unit_table(pdf, unit, lang, words)
    _heading(pdf, words.method_title, 13)
    for line in (*words.method_lines, results.method):
        _paragraph(pdf, line)
    _heading(pdf, words.help_title, 13)
    for line in words.help_lines:
        _paragraph(pdf, line)
    return bytes(pdf.output())


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
