"""Tables as files people open in a spreadsheet: CSV in UTF-8 with a byte-order mark (so Excel
reads Kazakh and Russian letters), with every text cell kept from being read as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

TableCell = str | int | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """Keep a spreadsheet from reading a text (a name, a label) as a formula."""
    return "'" + cell if cell[:1] in FORMULA_STARTS else cell


def csv_text(cell: TableCell) -> str:
    """One cell as CSV text: numbers as digits, nothing as an empty field, text made safe."""
    if cell is None:
        return ""
    if isinstance(cell, int):
        return str(cell)
    return spreadsheet_safe(cell)


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[TableCell]]) -> bytes:
    """The table as a UTF-8 CSV file with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_text(h) for h in headers])
    writer.writerows([[csv_text(cell) for cell in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
