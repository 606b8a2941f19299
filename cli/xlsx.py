"""Excel workbooks (openpyxl, imported only when xlsx is asked for): one sheet per table, the
header row frozen, kroner as numbers in a thousands format, FTE as numbers with two decimals,
dates as dates and times as UTC date-times. `grants import` reads the same layout
(grants.ledger.xlsx_import)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from grants.cli.output import FTE_COLUMNS, KRONER_COLUMNS

KRONER_FORMAT = "#,##0"  # shown with the reader's grouping: 1 320 000 in a Norwegian Excel
FTE_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 60


def sheet_title(name: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    title = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "sheet"
    base, n = title, 2
    while title.lower() in taken:
        title = f"{base[:28]}-{n}"
        n += 1
    taken.add(title.lower())
    return title


def cell_value(column: str, value: Any) -> tuple[Any, str | None]:
    """A value as Excel should hold it, and its number format."""
    if isinstance(value, bool) or value is None:
        return value, None
    if isinstance(value, datetime):  # Excel has no time zones: UTC, written as such in the docs
        return value.astimezone(UTC).replace(tzinfo=None), TIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, (int, Decimal)) and column in KRONER_COLUMNS:
        return int(value), KRONER_FORMAT
    if isinstance(value, Decimal) or column in FTE_COLUMNS:
        return Decimal(str(value)), FTE_FORMAT
    if isinstance(value, int):
        return value, None
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value), None
    return str(value), None


def write_workbook(path: Path | BinaryIO, tables: list[tuple[str, list[dict], list[str] | None]]) -> None:
    """One sheet per (name, rows, columns); an empty table keeps its header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name, rows, columns in tables:
        columns = columns or (list(rows[0]) if rows else [])
        sheet = book.create_sheet(sheet_title(name, taken))
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(c) for c in columns]
        for number, row in enumerate(rows, start=2):  # the row's number, counted: max_row scans every cell
            values = [cell_value(c, row.get(c)) for c in columns]
            sheet.append([v for v, _ in values])
            for i, (value, number_format) in enumerate(values):
                if number_format or isinstance(value, str):
                    cell = sheet.cell(number, i + 1)
                    if number_format:
                        cell.number_format = number_format
                    if isinstance(value, str):  # text stays text: "=1+1" is never a formula (OWASP)
                        cell.data_type = "s"
                widths[i] = max(widths[i], min(len(str(value)) + 2, MAX_WIDTH))
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(width, 8)
        sheet.freeze_panes = "A2"
    if not tables:
        book.create_sheet("empty")
    book.save(path)  # a path, or a binary stream (--output -)
