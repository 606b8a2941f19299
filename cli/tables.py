"""Writing a reading command's tables: table, CSV or JSON on stdout (or --output FILE), or an
Excel workbook (--format xlsx --output FILE, one sheet per table)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from grants.cli.output import table, to_csv, to_json
from grants.domain.errors import InvalidInput
from grants.domain.i18n import _

REPORT_FORMATS = click.Choice(["table", "csv", "json", "xlsx"])
STDOUT = "-"  # --output - means standard output, as for most command-line tools


def to_stdout(output: Path | None) -> bool:
    return output is None or str(output) == STDOUT

Table = tuple[str, list[dict], list[str] | None]  # sheet name, rows, columns (None: the first row's keys)


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--format table|csv|json|xlsx and --output FILE (required for xlsx)."""
    fn = click.option("--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                      help="Write to this file instead of stdout (required for xlsx; - is stdout).")(fn)
    fn = click.option("--format", "fmt", type=REPORT_FORMATS, default="table", show_default=True,
                      help="Output format; xlsx writes one sheet per table.")(fn)
    return fn


def selected(rows: list[dict], columns: list[str] | None) -> list[dict]:
    return [{k: r.get(k) for k in (columns or r)} for r in rows]


def render(tables: list[Table], fmt: str, json_shape: Callable[[list[list[dict]]], Any] | None = None) -> str:
    """The tables as text: JSON (a list, or `json_shape` of the tables), CSV or aligned tables;
    a second table follows a blank line (and, as a table, a line with its name and row count)."""
    if fmt == "json":
        rows = [selected(r, c) for _, r, c in tables]
        return to_json(json_shape(rows) if json_shape else rows[0])
    if fmt == "csv":  # one table per CSV stream: the first (winddown --violations selects the other)
        _name, rows, columns = tables[0]
        return to_csv(rows, columns)
    parts = []
    for number, (name, rows, columns) in enumerate(tables):
        if number:
            parts.append("")
            if fmt == "table":
                parts.append(f"{_(name)}: {len(rows)}")
        parts.append(table(rows, columns))
    return "\n".join(parts)


def write_tables(tables: list[Table], fmt: str, output: Path | None,
                 json_shape: Callable[[list[list[dict]]], Any] | None = None) -> None:
    if fmt == "xlsx":
        if output is None:
            raise InvalidInput("--output: " + _("--format xlsx writes a workbook; give --output FILE.xlsx "
                                                "(or - for stdout)"))
        from grants.cli.xlsx import write_workbook

        if to_stdout(output):
            write_workbook(click.get_binary_stream("stdout"), tables)
            return
        guarded(output, lambda: write_workbook(output, tables))
        count = sum(len(rows) for _, rows, _ in tables)
        click.echo(_("wrote {count} rows in {sheets} sheet(s) to {path}").format(count=count, sheets=len(tables),
                                                                                path=output))
        return
    text = render(tables, fmt, json_shape)
    if to_stdout(output):
        click.echo(text)
        return
    assert output is not None
    guarded(output, lambda: output.write_text(text + "\n", encoding="utf-8"))
    click.echo(_("wrote {format} to {path}").format(format=fmt, path=output))


def guarded(output: Path, write: Callable[[], Any]) -> None:
    """Run a write to `output`; a folder that is missing or not writable is bad input (exit 2)."""
    try:
        write()
    except OSError as error:
        raise InvalidInput("--output: " + _("cannot write {path}: {problem}").format(
            path=repr(str(output)), problem=error.strerror or error)) from None
