"""The `expiry` report, without SQLAlchemy: per funded position, the last fundable year under the
four-year rule, the years left and the year funding ends.

Its query is SQL text (`expiry_sql`, with the kommune condition and the code-point order of
grants.projections.plain_sql), so that on read models that are current it runs through the
ledger's own connection and the command never imports SQLAlchemy (grants.projections.current);
on others, and under a time cut, it runs through SQLAlchemy. Its rows are held as columns: the
refs one per row, and what positions share (office, kommune, scheme, status, years) coded by its
distinct values (grants.projections.columns.Coded). At a million events that is 100,000
positions in a few hundred distinct groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from operator import itemgetter
from typing import Any

from grants.domain import rules
from grants.domain.status import ACTIVE
from grants.ledger.gc_pause import collector_paused
from grants.projections.columns import Coded, ColumnRows
from grants.projections.plain_sql import CODE_POINT_ORDER, positions_of_kommune

# (sql, parameters) -> the query's rows, a part at a time: GrantsLedger.select_parts, or the same
# through SQLAlchemy (grants.projections.reports.text_parts)
SelectParts = Callable[[str, dict[str, Any]], Iterable[list[tuple]]]

# Only the columns used, text and integers: no Decimal or date conversion is needed on any engine.
SELECTED = ("ref", "office", "kommunenummer", "scheme", "status", "first_funded_year", "last_funded_year",
            "ladder_year")
FETCHED = ("office", "kommunenummer", "scheme", "status", "first_year", "last_funded", "ladder_year")
WORKED_OUT = ("last_fundable", "years_left", "ends")


def expiry_sql(dialect: str, office: str | None = None, kommune: str | None = None,
               scheme: str | None = None) -> tuple[str, dict[str, Any]]:
    """The query of `expiry` for a database of `dialect` (sqlite, postgresql) and its parameters:
    the funded positions matching the filters, by ref."""
    conditions, params = ["first_funded_year IS NOT NULL"], {}
    for name, value in (("office", office), ("scheme", scheme)):
        if value is not None:
            conditions.append(f"{name} = :{name}")
            params[name] = value
    if kommune is not None:
        condition, codes = positions_of_kommune(kommune)
        conditions.append(condition)
        params |= codes
    return (f"SELECT {', '.join(SELECTED)} FROM proj_positions WHERE {' AND '.join(conditions)} "
            f"ORDER BY ref{CODE_POINT_ORDER[dialect]}", params)


def expiry_columns(select_parts: SelectParts, dialect: str, year: int | None = None,
                   **filters: str | None) -> ColumnRows:
    """The rows of `expiry` as columns (what `grants expiry` prints: a row per funded position).
    The years worked out are worked out once per distinct group."""
    with collector_paused():  # 100,000 rows live until returned: see gc_pause
        refs, codes, groups = _grouped(select_parts(*expiry_sql(dialect, **filters)))
        worked_out = [funding_ends(scheme, status, last_funded, ladder_year)
                      for _office, _kommune, scheme, status, _first, last_funded, ladder_year in groups]
        if year is not None:
            kept = {code: new for new, code in enumerate(c for c, ends in enumerate(worked_out) if ends[2] == year)}
            wanted = list(map(kept.__contains__, codes))
            refs = list(compress(refs, wanted))
            codes = list(map(kept.__getitem__, compress(codes, wanted)))
            groups, worked_out = [groups[c] for c in kept], [worked_out[c] for c in kept]
        fetched = _by_name(FETCHED, groups)
        del fetched["ladder_year"]  # read to work the years out, not shown
        shared = fetched | _by_name(WORKED_OUT, worked_out)
        return ColumnRows({"ref": refs} | {name: Coded(codes, values) for name, values in shared.items()})


def funding_ends(scheme: str, status: str, last_funded: int, ladder_year: int) -> tuple[int, int, int]:
    """(last fundable year, years left, the year funding ends) of a position."""
    last_fundable = rules.last_fundable_year(scheme, last_funded, ladder_year)
    if status != ACTIVE:
        return last_fundable, 0, last_funded
    return last_fundable, max(last_fundable - last_funded, 0), last_fundable


def _by_name(names: tuple[str, ...], rows: list[tuple]) -> dict[str, Sequence]:
    """Rows of values in the order of `names` as one sequence per name."""
    return dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else dict.fromkeys(names, ())


def _grouped(parts: Iterable[list[tuple]]) -> tuple[list, list[int], list[tuple]]:
    """Rows whose first value differs from row to row (a ref) and whose others repeat: the first
    values, each row's code (the index of its other values among the distinct ones) and the
    distinct ones, in the order first met."""
    firsts: list = []
    codes: list[int] = []
    groups: dict[tuple, int] = {}
    first, rest = itemgetter(0), itemgetter(slice(1, None))
    for rows in parts:
        firsts.extend(map(first, rows))
        keys = list(map(rest, rows))
        for key in dict.fromkeys(keys):  # a few new ones per part, in the order met
            groups.setdefault(key, len(groups))
        codes.extend(map(groups.__getitem__, keys))
    return firsts, codes, list(groups)
