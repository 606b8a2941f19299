"""Are the read models what the log says? `grants projections status` and `grants projections check`.

`check` folds the log again into a private in-memory database, up to the position each projection
is tracked at, and compares every row and column with the tables; an edited, added or deleted
read-model row is named. A tracking position ahead of the log is a difference too.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from grants.domain.i18n import _
from grants.projections import db
from grants.projections.db import engine_for
from grants.projections.runner import PROJECTIONS, Runner


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple  # (column, value) pairs of the primary key
    column: str | None  # None: the whole row is missing from one side
    in_table: object
    from_log: object

    def cells(self) -> dict:
        """A flat row for table, CSV and JSON output; a whole row present on one side only is
        shown as present/missing."""
        whole = self.column is None
        return {"table": self.table, "key": "; ".join(f"{column}={value}" for column, value in self.key),
                "column": _("(row)") if whole else self.column,
                "in_table": _present(self.in_table) if whole else self.in_table,
                "from_log": _present(self.from_log) if whole else self.from_log}

    def __str__(self) -> str:
        where = ", ".join(f"{column}={value!r}" for column, value in self.key)
        if self.column is None:
            what = _("is not in the log") if self.from_log is None else _("is missing from the table")
            return f"{self.table} ({where}) {what}"
        return f"{self.table} ({where}): " + _("{column} is {stored} in the table, {folded} from the log").format(
            column=self.column, stored=repr(self.in_table), folded=repr(self.from_log))


def _present(row: object) -> str:
    return _("missing") if row is None else _("present")


def status_rows(runner) -> list[dict]:
    """Each projection's position against the head; a position ahead of the log is an error."""
    tracked = runner.tracked()
    head = runner.source.head()
    return [{"projection": name, "position": position, "head": head, "behind": max(head - position, 0),
             "state": _("ahead of the log (error)") if position > head else _("current") if position == head
             else _("behind")}
            for name, position in sorted(tracked.items())]


def check(runner) -> list[Difference]:
    """Every difference between the read models and a fold of the log (empty: they agree)."""
    tracked = runner.tracked()
    head = runner.source.head()
    found = [Difference("proj_tracking", (("name", name),), "position", position, _("at most {head}").format(head=head))
             for name, position in sorted(tracked.items()) if position > head]
    for projection in PROJECTIONS:
        position = tracked.get(projection.name, 0)
        if position <= head:
            replica = _fold_up_to(runner.source, position)
            for table in db.VIEW_TABLES[projection.name]:
                found += compare(table, runner.engine, replica)
            replica.dispose()
    return found


class _Cut:
    """The log up to one notification id."""

    def __init__(self, source, stop: int):
        self.source, self.stop = source, stop

    def head(self) -> int:
        return self.stop

    def read_log(self, after: int, limit: int, stop: int, topics=()):
        return self.source.read_log(after, limit, min(stop, self.stop), topics)


def _fold_up_to(source, position: int):
    runner = Runner(engine_for("sqlite://"), _Cut(source, position))
    runner.catch_up()
    return runner.engine


def compare(table, live_engine, replica_engine) -> list[Difference]:
    live, replica = _rows(table, live_engine), _rows(table, replica_engine)
    keys = [column.name for column in table.primary_key.columns]
    found = []
    for key in sorted(live.keys() | replica.keys(), key=repr):
        named = tuple(zip(keys, key, strict=True))
        mine, theirs = live.get(key), replica.get(key)
        if mine is None or theirs is None:
            found.append(Difference(table.name, named, None, mine, theirs))
            continue
        found += [Difference(table.name, named, column, mine[column], theirs[column])
                  for column in mine if _norm(mine[column]) != _norm(theirs[column])]
    return found


def _rows(table, engine) -> dict[tuple, dict]:
    keys = [column.name for column in table.primary_key.columns]
    with engine.connect() as conn:
        return {tuple(row[k] for k in keys): dict(row) for row in conn.execute(select(table)).mappings()}


def _norm(value):
    """Numeric columns come back as Decimal with the engine's scale; compare by value."""
    if isinstance(value, Decimal):
        return value.normalize()
    return value
