"""Rows held as columns (grants.projections.columns) read as the list of dicts they stand for, and
print, in every format, as those dicts do (issue 14: `expiry` at a million events)."""

from datetime import date
from decimal import Decimal

import pytest

from grants.cli import output
from grants.projections.columns import Coded, ColumnRows

ROWS = [
    {"ref": "S/2", "office": "innlandet", "status": "active", "first_year": 2021, "fte": Decimal("0.50"),
     "amount": 330_000, "received": date(2022, 2, 1), "note": None},
    {"ref": "S/10", "office": "ostfold-buskerud-oslo-akershus", "status": "terminated", "first_year": 2022,
     "fte": Decimal("1.00"), "amount": 660_000, "received": None, "note": "=1+1"},
    {"ref": "S/3\x1b[31m", "office": "innlandet", "status": "active", "first_year": 2021, "fte": Decimal("0.5"),
     "amount": -5, "received": date(2022, 2, 1), "note": "to\nlines"},
]


def as_columns(rows):
    return ColumnRows({name: [row[name] for row in rows] for name in rows[0]})


def coded(rows, *groups, unused="a value no row has, longer than any"):
    """The rows as columns, the columns of each group coded (grants.projections.columns.Coded) with
    one list of codes: rows whose values in the group print alike share a code. Each coded column
    also holds a value no row uses, which must not widen it."""
    columns = {name: [row.get(name) for row in rows] for name in rows[0]}
    for group in groups:
        codes, index, distinct = [], {}, []
        for number in range(len(rows)):
            key = tuple((type(columns[name][number]), repr(columns[name][number])) for name in group)
            if key not in index:
                index[key] = len(distinct)
                distinct.append([columns[name][number] for name in group])
            codes.append(index[key])
        for place, name in enumerate(group):
            columns[name] = Coded(codes, [values[place] for values in distinct] + [unused])
    return ColumnRows(columns)


def test_coded_columns_read_as_the_columns_they_stand_for():
    column = Coded([1, 0, 1], ["a", "b", "never"])
    assert (len(column), list(column), column[0], column[-1], column[1:]) == (3, ["b", "a", "b"], "b", "b", ["a", "b"])
    assert coded(ROWS, ["office", "status"], ["first_year"]) == ROWS


@pytest.mark.parametrize("groups", [[["office", "status", "first_year"]], [["office"], ["status", "first_year"]],
                                    [["office", "first_year"]], [["fte", "amount"], ["note", "received"]]])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_coded_columns_write_as_their_dicts_in_every_format(monkeypatch, groups, fmt):
    """Side by side in one group (one part of each line), in two groups, apart, and of kinds whose
    equal values print apart (Decimal 0.50 and 0.5)."""
    from grants.cli.tables import render

    monkeypatch.delenv("COLUMNS", raising=False)
    columns = ["ref", "office", "status", "first_year", "fte", "amount", "received", "note"]
    assert render([("rows", coded(ROWS, *groups), columns)], fmt) == render([("rows", ROWS, columns)], fmt)


def test_column_rows_read_as_the_list_of_dicts():
    columns = as_columns(ROWS)
    assert len(columns) == 3 and columns[1] == ROWS[1] and columns[-1] == ROWS[-1]
    assert list(columns) == ROWS and columns == ROWS and columns[1:] == ROWS[1:]
    assert list(columns[0]) == list(ROWS[0])  # the columns in their order
    assert not ColumnRows({"ref": []}) and ColumnRows({"ref": []}) == []


@pytest.mark.parametrize("terminal", [None, "200", "60"])
def test_a_table_of_columns_prints_as_the_table_of_its_dicts(monkeypatch, terminal):
    if terminal is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:  # narrow: offices by id, decided from the columns' widths before any line is made
        monkeypatch.setenv("COLUMNS", terminal)
    assert output.table(as_columns(ROWS)) == output.table(ROWS)
    assert output.table(as_columns(ROWS), ["ref", "missing", "amount"]) == output.table(ROWS, ["ref", "missing",
                                                                                              "amount"])


def test_offices_are_named_until_the_widest_line_passes_the_terminal(monkeypatch):
    rows = [{"ref": "N/1", "office": "ostfold-buskerud-oslo-akershus"}]
    wide = output.table(rows).splitlines()
    assert wide[2] == "N/1  Østfold, Buskerud, Oslo og Akershus"
    monkeypatch.setenv("COLUMNS", str(len(wide[1])))  # the line of dashes is the widest
    assert output.table(rows).splitlines() == wide
    monkeypatch.setenv("COLUMNS", str(len(wide[1]) - 1))
    assert output.table(rows).splitlines()[2] == "N/1  ostfold-buskerud-oslo-akershus"


def test_text_shown_as_written_is_still_escaped_when_it_holds_a_control_character():
    lines = output.table([{"ref": "A/1"}, {"ref": "A/2\x1b[31m"}]).splitlines()
    assert lines[2:] == ["A/1", "A/2\\x1b[31m"]


def test_a_long_table_is_joined_a_part_at_a_time_into_the_same_text():
    lines = [f"line {i}" for i in range(25)]
    assert output._joined(iter(lines), part=10) == "\n".join(lines)
    assert output._joined(iter([]), part=10) == ""


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_every_format_writes_columns_as_their_dicts(fmt):
    from grants.cli.tables import render

    columns = ["ref", "office", "status", "first_year", "fte", "amount", "received", "note"]
    assert render([("rows", as_columns(ROWS), columns)], fmt) == render([("rows", ROWS, columns)], fmt)


def test_a_workbook_of_columns_holds_the_cells_of_their_dicts():
    from io import BytesIO

    from openpyxl import load_workbook

    from grants.cli.xlsx import write_workbook

    def cells(rows):
        book = BytesIO()
        write_workbook(book, [("rows", rows, list(ROWS[0]))])
        return [[cell.value for cell in row] for row in load_workbook(BytesIO(book.getvalue())).active.iter_rows()]

    rows = ROWS[:2]  # (a control character is no cell for openpyxl, rows or columns)
    assert cells(as_columns(rows)) == cells(rows)
    assert cells(coded(rows, ["office", "status", "first_year"], ["fte"])) == cells(rows)
