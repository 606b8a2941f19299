"""Output formatting: tables for people, JSON and CSV with stable shapes for machines.

Tables group kroner as Norwegians write them (550 000), show FTE with two decimals, head each
column in words (`to reclaim`) and name offices (`Innlandet`) where the terminal has room.
CSV and JSON stay raw: numbers are numbers (an FTE is the JSON number 0.50, never a string),
one table per CSV stream, and a CSV has its header row even when there are no rows.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import chain, islice, repeat
from json.encoder import encode_basestring  # json.dumps's own, as ensure_ascii=False writes text
from operator import itemgetter, methodcaller
from typing import Any

import click

from grants.domain.errors import quoted
from grants.domain.i18n import N_, _
from grants.domain.money import format_fte, format_kroner
from grants.projections.columns import Coded, ColumnRows

FORMATS = click.Choice(["table", "csv", "json"])  # every reading command (DESIGN.md)

# What a column holds, by its name (the same names in every report, view, JSON shape, export and
# workbook: docs/reporting.md).
KRONER_COLUMNS = frozenset({"amount", "granted_amount", "rule_amount", "deviation", "spent", "paid", "entitlement",
                            "to_reclaim", "own_money", "carried_in", "carried_out", "self_financing", "wage_cost",
                            "other_costs", "frame", "granted", "left", "appropriation", "unallocated", "rate",
                            "base", "new_amount", "new_rule_amount", "committed", "delta", "carried", "frames"})
FTE_COLUMNS = frozenset({"fte", "fte_filled", "from_fte", "to_fte", "base_fte"})
OFFICE_COLUMNS = frozenset({"office"})
# The heading of every column a table shows, in words (translated where shown); a column not
# listed here is headed by its name with spaces (tests/unit/test_language.py keeps the list whole).
HEADINGS = {
    "actor": N_("actor"), "amount": N_("amount"), "appropriation": N_("appropriation"), "attested": N_("attested"),
    "behind": N_("behind"), "carried_in": N_("carried in"), "carried_out": N_("carried out"), "column": N_("column"),
    "correction": N_("correction"), "detail": N_("detail"), "deviation": N_("deviation"),
    "effective": N_("effective"), "ends": N_("ends"), "entitlement": N_("entitlement"), "event": N_("event"),
    "first_year": N_("first year"), "focus": N_("focus"), "frame": N_("frame"), "from_log": N_("from log"),
    "from_month": N_("from month"), "fte": N_("fte"), "fte_filled": N_("fte filled"), "granted": N_("granted"),
    "granted_amount": N_("as granted"), "head": N_("head"), "in_table": N_("in table"), "issue": N_("issue"),
    "key": N_("key"), "kommune": N_("kommune"), "kommunenummer": N_("kommune no."), "ladder_year": N_("ladder year"),
    "last_fundable": N_("last fundable"), "last_funded": N_("last funded"), "left": N_("left"), "login": N_("login"),
    "months": N_("months"), "name": N_("name"), "office": N_("office"), "over_frame": N_("over frame"),
    "over_frame_grants": N_("grants over frame"), "own_money": N_("own money"), "partners": N_("partners"),
    "position": N_("position"), "positions": N_("positions"), "problem": N_("problem"),
    "projection": N_("projection"), "reason": N_("reason"), "received": N_("received"), "recorded": N_("recorded"),
    "ref": N_("ref"), "rejected": N_("rejected"), "role": N_("role"), "rule": N_("rule"),
    "rule_amount": N_("rule amount"), "scheme": N_("scheme"), "self_financing": N_("self financing"),
    "set_by": N_("set by"), "spent": N_("spent"), "state": N_("state"), "status": N_("status"), "table": N_("table"),
    "terminated": N_("terminated"), "title": N_("title"), "to_reclaim": N_("to reclaim"),
    "unallocated": N_("unallocated"), "version": N_("version"), "wage_cost": N_("wage cost"), "year": N_("year"),
    "years_left": N_("years left"), "claimed": N_("claimed"), "details": N_("details"), "cause": N_("cause"),
    "from_fte": N_("from fte"), "to_fte": N_("to fte"), "from_kommunenummer": N_("from kommune no."),
    "to_kommunenummer": N_("to kommune no."), "from_year": N_("from year"), "to_year": N_("to year"),
    "new_amount": N_("new amount"), "new_rule_amount": N_("new rule amount"), "other_costs": N_("other costs"),
    "permanence_plan": N_("permanence plan"), "rate": N_("rate"), "rescaled": N_("rescaled"), "rule_id": N_("rule"),
}
WORDS_COLUMNS = frozenset({"status", "role"})  # codes a table shows in words (`_(value)`): active, caseworker


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
            self.fail(_("{rule}, got {value}").format(rule=error, value=quoted(value)), param, ctx)


YEAR = YearType()


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
BEYOND_C0 = re.compile(r"[\x7f-\x9f\u2028\u2029]")  # control characters json.dumps leaves raw
FORMULA_START = ("=", "+", "-", "@")  # OWASP CSV injection: a spreadsheet runs such a cell


def safe(text: str) -> str:
    """Escape control characters so user input can never drive the terminal."""
    text = str(text)
    if text.isprintable():  # nearly every cell of a long report: no per-character pass
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


kroner = format_kroner  # one definition, in the domain (its messages group kroner too)


def csv_cell(value: Any) -> str:
    """A CSV cell: control characters removed; text that a spreadsheet would read as a formula
    gets a leading ' (numbers keep their sign: only text is neutralised)."""
    text = CONTROL.sub("", str(raw(value)) if value is not None else "")
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def heading(column: str) -> str:
    """`to_reclaim` -> `to reclaim`, in the language in use."""
    return _(HEADINGS[column]) if column in HEADINGS else column.replace("_", " ")


def cell(column: str, value: Any, office_names: bool = False) -> str:
    """One value as a person reads it in a table or a message."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("true") if value else _("false")
    if column in WORDS_COLUMNS and isinstance(value, str):
        return safe(_(value))
    if column in KRONER_COLUMNS and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return kroner(int(value))
    if column in FTE_COLUMNS and isinstance(value, (int, Decimal)):
        return format_fte(value)
    if column in OFFICE_COLUMNS and office_names:
        from grants.domain.kommuner import office_short_name

        return office_short_name(value)
    return safe(raw(value))


def raw(value: Any) -> Any:
    """A scalar as CSV writes it: Decimal as written (0.50), dates ISO, times UTC with Z,
    booleans true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def plain(value: Any) -> Any:
    """A JSON-safe copy with Decimals as strings (the stored-event samples of the reliability
    suite are written in this form; output uses to_json)."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return raw(value) if isinstance(value, (datetime, date)) else value


def to_json(value: Any) -> str:
    """JSON with Decimals as JSON numbers written exactly (0.50), never through float; json.dumps
    escapes C0 controls itself, the rest (DEL, C1, line separators) as \\uXXXX."""
    text = _rows_json(value)
    if text is None:
        text = _dumped(value)
    return BEYOND_C0.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _dumped(value: Any) -> str:
    """json.dumps of the value, Decimals as numbers."""
    token = uuid.uuid4().hex  # marks a number inside a string until json.dumps is done

    def prepare(item: Any) -> Any:
        if isinstance(item, Decimal):
            return f"{token}{item:f}{token}"
        if isinstance(item, dict):
            return {k: prepare(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [prepare(v) for v in item]
        if isinstance(item, (datetime, date)):
            return raw(item)
        return item

    text = json.dumps(prepare(value), ensure_ascii=False, indent=2)
    return re.sub(f'"{token}(-?[0-9.]+){token}"', r"\1", text)


JSON_SCALARS = frozenset({str, int, bool, type(None), Decimal, date, datetime})


def _rows_json(value: Any) -> str | None:
    """A report's rows (a list of dicts with the same keys in the same order, holding scalars) as
    `_dumped` writes them, column by column: json.dumps indents in Python code, call by call,
    ~3 s for the 100,000 rows of `expiry`. None for any other value."""
    if not isinstance(value, list) or not value or set(map(type, value)) != {dict}:
        return None
    keys = list(value[0])
    if not keys or {type(key) for key in keys} != {str} or len(set(map(tuple, value))) != 1:
        return None
    by_column = list(zip(*map(itemgetter(*keys), value), strict=True)) if len(keys) > 1 else [
        [row[keys[0]] for row in value]]
    fields = []
    for key, values in zip(keys, by_column, strict=True):
        texts = _json_cells(values)
        if texts is None:
            return None
        fields.append(map((encode_basestring(key) + ": ").__add__, texts))
    rows = "\n  },\n  {\n    ".join(map(",\n    ".join, zip(*fields, strict=True)))
    return "[\n  {\n    " + rows + "\n  }\n]"


def _json_cells(values: Sequence[Any]) -> Iterable[str] | None:
    """Each value of a column as json.dumps writes it in `_dumped`; None when one is not a scalar
    it writes alike (a list, a float, a Decimal that is no number: NaN)."""
    types = set(map(type, values))
    if not types <= JSON_SCALARS or (Decimal in types and not all(
            v.is_finite() for v in values if type(v) is Decimal)):
        return None
    if types == {str}:
        return map(encode_basestring, values)
    return _each_formatted(values, types, _json_cell)


def _json_cell(value: Any) -> str:
    """One scalar as json.dumps writes it in `_dumped` (a Decimal as its exact number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):  # and datetime
        return encode_basestring(raw(value))
    return int.__repr__(value)


def table(rows: Sequence[dict], columns: Sequence[str] | None = None) -> str:
    """Rows as aligned text; offices by name when the table still fits the terminal."""
    if not rows:
        return _("(no rows)")
    columns = list(columns) if columns is not None else list(rows[0])
    by_column = _by_column(rows, columns)
    shown = _shown(columns, by_column, office_names=True)
    width = terminal_width()
    if width is not None and any(c in OFFICE_COLUMNS for c in columns) and _line_width(shown) > width:
        shown = _shown(columns, by_column, office_names=False)  # decided before any line is made
    return _lines(shown, by_column)


class _CodedCells(dict):
    """The cells of a coded column (grants.projections.columns.Coded): code -> text, for the codes
    its rows use, and the rows' codes."""

    def __init__(self, texts: dict[int, str], codes: Sequence[int]):
        super().__init__(texts)
        self.codes = codes


# heading, cells (distinct value -> text, one text per row, or code -> text), width, pad
Shown = tuple[str, dict[Any, str] | Sequence[str], int, Callable[[str, int], str]]


def _shown(columns: Sequence[str], by_column: list[Sequence[Any]], office_names: bool) -> list[Shown]:
    """Each column's heading, the text of its cells (see _column), its width and how it is padded."""
    shown = []
    for column, values in zip(columns, by_column, strict=True):
        title = heading(column)
        if isinstance(values, Coded):  # each value its rows use, formatted once
            used = sorted(set(values.codes))
            distinct = [values.values[code] for code in used]
            texts, numeric = _column(column, distinct, office_names)
            each = map(texts.__getitem__, distinct) if isinstance(texts, dict) else texts
            cells: dict[Any, str] | Sequence[str] = _CodedCells(dict(zip(used, each, strict=True)), values.codes)
        else:
            cells, numeric = _column(column, values, office_names)
        width = max(len(title), max(map(len, cells.values() if isinstance(cells, dict) else cells), default=0))
        shown.append((title, cells, width, str.rjust if numeric else str.ljust))
    return shown


def _line_width(shown: list[Shown]) -> int:
    """The widest line of the table: the line of dashes under the headings (every column at its
    width, no line longer)."""
    return sum(width for _title, _cells, width, _pad in shown) + 2 * (len(shown) - 1)


def _lines(shown: list[Shown], by_column: list[Sequence[Any]]) -> str:
    # Each distinct value of a column padded once, lines joined by C loops: a long report (100,000
    # positions in `expiry`) repeats offices, schemes, statuses and years. Side by side coded
    # columns of one group are one part of each line, made once per code.
    parts = []  # per part of the line, its text on each line (iterators: made a part at a time)
    for run in _runs(shown, by_column):
        (title, cells, width, pad), values = run[0]
        if isinstance(cells, _CodedCells):  # the run's part of a line, made once per code
            group = [column for column, _values in run]
            texts = {code: "  ".join(padding(each[code], wide) for _label, each, wide, padding in group)
                     for code in cells}
            parts.append(chain(("  ".join(padding(label, wide) for label, _each, wide, padding in group),
                                "  ".join("-" * wide for _label, _each, wide, _padding in group)),
                               map(texts.__getitem__, cells.codes)))
        elif isinstance(cells, dict):  # distinct values: pad each once, then look every row's up
            texts = {value: pad(text, width) for value, text in cells.items()}
            parts.append(chain((pad(title, width), "-" * width), map(texts.__getitem__, values)))
        else:  # one text per row (a ref, a detail): padded in one C loop, no call per row
            parts.append(chain((pad(title, width), "-" * width), map(pad, cells, repeat(width))))
    return _joined(map(str.rstrip, map("  ".join, zip(*parts, strict=True))))


def _runs(shown: list[Shown], by_column: list[Sequence[Any]]) -> list[list[tuple[Shown, Sequence[Any]]]]:
    """The columns (each as it is shown, and its values) in runs: side by side coded columns with
    the same codes are one run, any other column is one on its own."""
    runs: list[list[tuple[Shown, Sequence[Any]]]] = []
    for column in zip(shown, by_column, strict=True):
        cells = column[0][1]
        before = runs[-1][-1][0][1] if runs else None
        if isinstance(cells, _CodedCells) and isinstance(before, _CodedCells) and cells.codes is before.codes:
            runs[-1].append(column)
        else:
            runs.append([column])
    return runs


def _joined(lines: Iterator[str], part: int = 10_000) -> str:
    """Lines joined a part at a time: every line of a long table alive at once was 20 MB at
    100,000 lines, and memory first touched costs page faults (~0.75 ms a MB)."""
    parts = []
    while chunk := list(islice(lines, part)):
        parts.append("\n".join(chunk))
    return "\n".join(parts)


def _by_column(rows: Sequence[dict], columns: Sequence[str]) -> list[Sequence[Any]]:
    """The values of each column, in row order."""
    if isinstance(rows, ColumnRows):  # kept as columns already (`expiry`): no row is made a dict
        return [rows.columns[c] if c in rows.columns else [None] * len(rows) for c in columns]
    try:  # one C-level pass over the rows where every row has every column
        if len(columns) > 1:
            return list(zip(*map(itemgetter(*columns), rows), strict=True))
    except KeyError:
        pass
    return [[row.get(c) for row in rows] for c in columns]


def _column(column: str, values: Sequence[Any], office_names: bool) -> tuple[dict[Any, str] | Sequence[str], bool]:
    """A column's text, and whether it is numeric (right-aligned): every value a number or empty.
    The text is a dict of distinct values where equal values print alike (not Decimal: 0.5 ==
    0.50; not True beside 1; not lists, unhashable), else one text per row."""
    types = set(map(type, values))
    numeric = types <= {int, Decimal, type(None)}
    if types == {str} and _shown_as_written(column, office_names) and "".join(values).isprintable():
        return values, False  # text shown as it is (every ref of a long report): nothing to format
    if _alike_when_equal(types):
        return {value: cell(column, value, office_names) for value in set(values)}, numeric
    return [cell(column, value, office_names) for value in values], numeric


def _alike_when_equal(types: set[type]) -> bool:
    """Whether equal values of these types are written alike, so each distinct value can be
    formatted once: not Decimal (0.5 == 0.50), not True beside 1, not lists (unhashable)."""
    return types <= {str, int, date, type(None)} or types <= {str, bool, date, type(None)}


def _each_formatted(values: Sequence[Any], types: set[type], write: Callable[[Any], str]) -> Iterable[str]:
    """`write` of each value, in order; each distinct value written once where equal values write alike."""
    if _alike_when_equal(types):
        cells = {value: write(value) for value in set(values)}
        return map(cells.__getitem__, values)
    return map(write, values)


def _shown_as_written(column: str, office_names: bool) -> bool:
    """True where `cell` shows a printable text as it is (not a status in words, not an office by name)."""
    return column not in WORDS_COLUMNS and not (column in OFFICE_COLUMNS and office_names)


def terminal_width() -> int | None:
    """The width to fit tables to: $COLUMNS, else the terminal's; None (no limit) when the output
    is not a terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    stream = sys.stdout
    if stream is not None and stream.isatty():
        return os.get_terminal_size(stream.fileno()).columns
    return None


def to_csv(rows: Sequence[dict], columns: Sequence[str] | None = None) -> str:
    """One table with its header row, even when there are no rows (columns: the first row's keys
    when not given)."""
    columns = list(columns) if columns is not None else list(rows[0] if rows else {})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    if rows:  # column by column, as a table (100,000 rows of `expiry`: 2 s a row at a time)
        writer.writerows(zip(*map(_csv_cells, _by_column(rows, columns)), strict=True))
    return buffer.getvalue().rstrip("\n")


def _csv_cells(values: Sequence[Any]) -> Iterable[str]:
    """Each value of a column as `csv_cell` writes it: each distinct value once where equal values
    write alike (see _column), and text needing nothing as it is; a coded column's values once each."""
    if isinstance(values, Coded):
        cells = list(_csv_cells(values.values))
        return map(cells.__getitem__, values.codes)
    types = set(map(type, values))
    if (types == {str} and CONTROL.search("".join(values)) is None
            and not any(map(methodcaller("startswith", FORMULA_START), values))):
        return values
    return _each_formatted(values, types, csv_cell)


def emit_rows(rows: Sequence[dict], fmt: str, columns: Sequence[str] = (), *, exactly: bool = False) -> None:
    """Rows in the chosen format. `columns` names the columns and their order in all three (and
    heads an empty CSV); a key the rows have beyond them is shown after them, never dropped,
    unless the shape is `exactly` those columns."""
    if not exactly:
        columns = [*columns, *(k for k in (rows[0] if rows else {}) if k not in columns)]
    if fmt == "json":
        click.echo(to_json([{k: r.get(k) for k in columns} for r in rows]))
    elif fmt == "csv":
        click.echo(to_csv(rows, columns))
    else:
        click.echo(table(rows, columns))
