"""The column-by-column writers of tables, CSV and JSON (issue 14: 100,000 rows in `expiry`) write
what writing each cell of each row by itself writes, for any rows (hypothesis)."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from grants.cli import output
from grants.projections.columns import ColumnRows

COLUMNS = ["ref", "office", "status", "amount", "fte", "year", "received", "flag", "note"]  # of every kind
VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.sampled_from([0, 1, 2021]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
    st.sampled_from([Decimal("0.5"), Decimal("0.50")]), st.floats(allow_nan=False),
    st.dates(), st.datetimes(timezones=st.just(UTC)), st.text(max_size=8),
    st.sampled_from(["innlandet", "ostfold-buskerud-oslo-akershus", "active", "=1+1", "-2", "a\x1bb", "\u2028"]),
    st.lists(st.integers(), max_size=2),
)
OFFICE = st.one_of(st.none(), st.sampled_from(["innlandet", "ostfold-buskerud-oslo-akershus", "nowhere"]),
                   st.text(max_size=8))  # an office is named by its id: always text
ROW = st.fixed_dictionaries({}, optional={column: OFFICE if column == "office" else VALUE for column in COLUMNS})
ROWS = st.lists(ROW, max_size=6)


def cell_by_cell_table(rows, columns, office_names=True):
    """A table as the writer made it before issue 14: every cell of every row formatted by itself."""
    cells = [[output.cell(c, row.get(c), office_names) for c in columns] for row in rows]
    numeric = [all(type(row.get(c)) in (int, Decimal, type(None)) for row in rows) for c in columns]
    widths = [max([len(output.heading(c))] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)]

    def line(texts):
        return "  ".join(t.rjust(w) if n else t.ljust(w) for t, w, n in zip(texts, widths, numeric, strict=True))

    return "\n".join(text.rstrip() for text in [line([output.heading(c) for c in columns]),
                                                 line(["-" * w for w in widths]), *map(line, cells)])


def row_by_row_csv(rows, columns):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: output.csv_cell(row.get(k)) for k in columns})
    return buffer.getvalue().rstrip("\n")


def dumped(value):
    return output.BEYOND_C0.sub(lambda m: f"\\u{ord(m.group()):04x}", output._dumped(value))


def columns_of(rows):
    return list(rows[0]) if rows else []


@settings(max_examples=300, deadline=None)
@given(rows=ROWS.filter(bool))
def test_a_table_is_what_formatting_every_cell_makes(rows):
    columns = columns_of(rows) or ["ref"]
    assert output._lines(output._shown(columns, output._by_column(rows, columns), True),
                         output._by_column(rows, columns)) == cell_by_cell_table(rows, columns)
    as_columns = ColumnRows({c: [row.get(c) for row in rows] for c in columns})
    assert output.table(as_columns, columns) == output.table(rows, columns)


@settings(max_examples=300, deadline=None)
@given(rows=ROWS.filter(bool), shared=st.lists(st.sampled_from(COLUMNS), unique=True), split=st.integers(0, 9))
def test_a_table_of_coded_columns_is_what_formatting_every_cell_makes(rows, shared, split):
    from tests.unit.test_table_columns import coded

    columns = columns_of(rows) or ["ref"]
    rows = [{c: row.get(c) for c in columns} for row in rows]
    groups = [group for group in ([c for c in shared[:split] if c in columns],
                                  [c for c in shared[split:] if c in columns]) if group]
    assert output.table(coded(rows, *groups), columns) == cell_by_cell_table(rows, columns)
    assert output.to_csv(coded(rows, *groups), columns) == row_by_row_csv(rows, columns)


@settings(max_examples=300, deadline=None)
@given(rows=ROWS)
def test_csv_is_what_writing_every_cell_makes(rows):
    columns = sorted({c for row in rows for c in row})
    assert output.to_csv(rows, columns) == row_by_row_csv(rows, columns)


@settings(max_examples=300, deadline=None)
@given(rows=ROWS, uniform=st.booleans())
def test_json_of_rows_is_what_json_dumps_writes(rows, uniform):
    if uniform:  # as a report's rows: every row the same keys, in the same order
        columns = sorted({c for row in rows for c in row})
        rows = [{c: row.get(c) for c in columns} for row in rows]
    text = output.to_json(rows)
    assert text == dumped(rows)
    assert json.loads(text, parse_float=Decimal) is not None


def test_the_column_writers_serve_a_report_s_rows():
    """A report's rows take the column-by-column JSON writer (not json.dumps's indenting)."""
    rows = [{"ref": "A/1", "fte": Decimal("0.50"), "year": 2021, "received": date(2022, 2, 1),
             "recorded": datetime(2022, 2, 1, 12, tzinfo=UTC), "active": True, "left": None}]
    assert output._rows_json(rows) == dumped(rows)
    assert output._rows_json([{"tags": ["a"]}]) is None and output._rows_json([]) is None
    assert output._rows_json([{"fte": Decimal("NaN")}]) is None  # json.dumps's path writes what it writes
    assert re.search(r'"fte": 0.50,', output.to_json(rows))
