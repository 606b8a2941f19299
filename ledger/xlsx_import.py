"""Reading a batch-import workbook (.xlsx): the sheet named `commands` (else the first sheet), a
header row of column names, then one command per row — the layout `grants export --format xlsx`
writes. Cells are read as the CSV import reads text: numbers without a fraction as integers,
dates as ISO dates, TRUE/FALSE as true/false. Row numbers are the sheet's (the header is row 1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from grants.domain.errors import InvalidInput
from grants.domain.i18n import _

SHEET = "commands"


def cell_text(value: Any) -> str | None:
    """A cell as the text a CSV file would hold (None for an empty cell)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        exact = Decimal(repr(value))
        return str(int(exact)) if exact == exact.to_integral_value() else format(exact, "f")
    return str(value)


def xlsx_records(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(row number, {column: text}, problem) per data row, as grants.ledger.batch reads CSV."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises zip, XML and key errors for a bad file
        raise InvalidInput("file: " + _("cannot read {path} as an Excel workbook ({kind})").format(
            path=repr(str(path)), kind=type(error).__name__)) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [cell_text(c) or "" for c in next(rows, ())]
        if any(header):
            from grants.ledger.batch import checked_header  # the batch module imports this one

            header = checked_header(header)
        for number, cells in enumerate(rows, start=2):
            texts = [cell_text(c) for c in cells]
            if not any(texts):
                continue  # a blank row
            extra = [t for t in texts[len(header):] if t is not None]
            record: dict[str | None, Any] = {h.strip(): t for h, t in zip(header, texts, strict=False) if h}
            if extra or any(t is not None and not h for h, t in zip(header, texts, strict=False)):
                record[None] = extra or ["?"]  # a value without a column, as csv.DictReader reports it
            yield number, record, None
    finally:
        book.close()
