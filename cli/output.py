"""Output formatting: table for people, JSON and CSV with stable shapes for machines."""

import csv
import io
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import click

FORMATS = click.Choice(["table", "csv", "json"])  # every reading command (DESIGN.md)


class YearType(click.ParamType):
    """A year option of a reading command (the same range as the command models')."""

    name = "year"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YEAR"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from grants.domain.dates import parse_year

        try:
            return parse_year(value)
        except ValueError as error:
            self.fail(f"{error}, got {value!r}", param, ctx)


YEAR = YearType()


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
BEYOND_C0 = re.compile(r"[\x7f-\x9f\u2028\u2029]")  # control characters json.dumps leaves raw
FORMULA_START = ("=", "+", "-", "@")  # OWASP CSV injection: a spreadsheet runs such a cell


def safe(text: str) -> str:
    """Escape control characters so user input can never drive the terminal."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def kroner(amount: int | None) -> str:
    """Whole kroner grouped as Norwegians write them: 550 000."""
    return "" if amount is None else f"{amount:,}".replace(",", " ")
def csv_cell(value) -> str:
    """A CSV cell: control characters removed; text that a spreadsheet would read as a formula
    gets a leading ' (numbers keep their sign: only text is neutralised)."""
    text = CONTROL.sub("", str(plain(value)) if value is not None else "")
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def plain(value):
    """JSON-safe value: Decimal as string (never float), dates ISO, times UTC with Z."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def to_json(value) -> str:
    """JSON; json.dumps escapes C0 controls itself, the rest (DEL, C1, line separators) as \\uXXXX."""
    text = json.dumps(plain(value), ensure_ascii=False, indent=2)
    return BEYOND_C0.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])
    cells = [[safe("" if row.get(c) is None else plain(row.get(c))) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [all(r[i].replace(".", "", 1).lstrip("-").isdigit() or not r[i] for r in cells)
               for i in range(len(columns))]

    def line(values):
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def to_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or (list(rows[0]) if rows else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buffer.getvalue().rstrip("\n")


def emit_rows(rows: list[dict], fmt: str, columns: list[str] | None = None) -> None:
    if fmt == "json":
        click.echo(to_json([{k: r.get(k) for k in (columns or r)} for r in rows]))
    elif fmt == "csv":
        click.echo(to_csv(rows, columns))
    else:
        click.echo(table(rows, columns))
