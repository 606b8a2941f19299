"""Reports order text as SQLite and Python do, by the characters' code points, on both engines.

PostgreSQL orders text by its database's collation: the locale's rules (strcoll), unless the
collation is "C". In a database made with a Norwegian or English locale those rules skip `/` and
`-` at first, so refs would come in another order than on SQLite and than the reports that
sort in Python (compliance); and even in C.UTF-8, which orders as "C" does, each comparison goes
through strcoll: sorting the 100,000 refs of `expiry` at a million events took ~190 ms, with
COLLATE "C" ~100 ms (EXPLAIN ANALYZE, docs/performance.md). So text in ORDER BY is compared
byte by byte there, which for UTF-8 is code-point order; SQLite's default (BINARY) already is.
"""

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from grants.projections.plain_sql import CODE_POINT_ORDER


class CodePointOrder(ColumnElement):
    """A text column compared by code point (in ORDER BY)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any):
        self.column = column
        self.type = column.type


@compiles(CodePointOrder)
def _as_is(element: CodePointOrder, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(CodePointOrder, "postgresql")
def _in_c_collation(element: CodePointOrder, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.self_group(), **kw) + CODE_POINT_ORDER["postgresql"]


def by_code_point(*columns: Any) -> list[Any]:
    """The columns to order by, text ones compared by code point on every engine."""
    return [CodePointOrder(column) if isinstance(column.type, String) else column for column in columns]
