"""The Python API for reporting jobs: every report as typed rows, under the CLI's catch-up rules.

    from grants.projections.api import Reports

    with Reports("postgresql+psycopg://reader@host/grants") as reports:
        for line in reports.funding(by="position", year=2024):
            print(line.ref, line.amount)          # int kroner, Decimal FTE, dates as date

The read models are caught up with the log first when this login may write them; a read-only
login reads them as they are (kept current by `grants projections follow`) and `behind` says how
many events they lag. With `known_at` or `in_force` the report is replayed from the log into a
private in-memory database instead (docs/audit.md, "Two time axes"). The same functions serve the
`grants` reports, so a job and the CLI always agree. Columns and units: docs/reporting.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, get_args, get_type_hints

from grants.ledger.time_axes import TimeCut
from grants.projections import reports as queries
from grants.projections.catch_up import NOW, Views, open_views  # noqa: F401 - the API's, defined apart (see there)


@dataclass(frozen=True)
class FundingLine:
    """One position and funded year (`funding --by position`)."""

    ref: str
    kommunenummer: str
    office: str
    scheme: str
    year: int
    ladder_year: int
    fte: Decimal
    amount: int  # kroner granted for the year, after FTE reductions
    spent: int | None  # kroner reported spent (None: no report yet)
    to_reclaim: int | None  # kroner unspent, to be paid back (None: no report yet)


@dataclass(frozen=True)
class FundingTotal:
    """Funded years summed per year and group (`funding --by office|kommune|scheme|year`)."""

    year: int
    positions: int
    fte: Decimal
    amount: int
    spent: int
    to_reclaim: int
    office: str | None = None
    kommunenummer: str | None = None
    kommune: str | None = None
    scheme: str | None = None


@dataclass(frozen=True)
class ExpiryLine:
    ref: str
    office: str
    kommunenummer: str
    scheme: str
    status: str
    first_year: int
    last_funded: int
    last_fundable: int
    years_left: int
    ends: int


@dataclass(frozen=True)
class WinddownYear:
    year: int
    positions: int
    fte: Decimal
    amount: int


@dataclass(frozen=True)
class WinddownViolation:
    ref: str
    office: str
    kommunenummer: str
    status: str
    last_funded: int
    problem: str


@dataclass(frozen=True)
class ComplianceIssue:
    ref: str
    year: int
    office: str
    kommunenummer: str
    scheme: str
    issue: str
    detail: str


@dataclass(frozen=True)
class FrameLine:
    year: int
    office: str
    scheme: str
    frame: int
    granted: int
    left: int
    over_frame_grants: int
    set_by: str


Row = TypeVar("Row")


def typed(cls: type[Row], row: dict[str, Any]) -> Row:
    """A query's dict as a typed row: FTE as Decimal, kroner and counts as int (SQL sums may come
    back as Decimal or float-free numerics, depending on the engine)."""
    values = {}
    for name, kinds in _field_types(cls).items():
        value = row.get(name)
        if value is not None and Decimal in kinds:
            value = Decimal(str(value))
        elif value is not None and int in kinds:
            value = int(value)
        values[name] = value
    return cls(**values)


@cache
def _field_types(cls: type) -> dict[str, set[type]]:
    """Each field's type and, for `X | None`, its members."""
    return {name: {hint, *get_args(hint)} for name, hint in get_type_hints(cls).items()}


class Reports:
    """Every report as typed rows. Give a database URL (default: GRANTS_DB, as the CLI) or an open
    GrantsLedger as `ledger`; `known_at` (a UTC datetime) and `in_force` (a date) cut the log on
    its two time axes. Once a ledger has users, `actor` (default GRANTS_ACTOR, else the ledger's
    login: the database login on PostgreSQL, the OS user on SQLite) must be one of them, as for the CLI."""

    def __init__(self, db: str | None = None, *, known_at: datetime | None = None,
                 in_force: date | None = None, ledger: Any = None, actor: str | None = None):
        from grants.domain.actor import acting_as
        from grants.ledger.application import GrantsLedger

        self._own_ledger = ledger is None
        self.ledger = ledger if ledger is not None else GrantsLedger(db)
        try:
            with acting_as(actor or os.environ.get("GRANTS_ACTOR") or self.ledger.default_actor()):
                self.ledger.require_user()
        except Exception:
            self.close()
            raise
        self.cut = TimeCut(known_at=known_at, in_force=in_force)
        self._views: Views | None = None

    def __enter__(self) -> Reports:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_views", None) is not None:
            self._views.engine.dispose()
        if self._own_ledger:
            self.ledger.close()

    @property
    def views(self) -> Views:
        """The read models, caught up (or replayed) on first use."""
        if self._views is None:
            self._views = open_views(self.ledger, self.cut)
        return self._views

    @property
    def behind(self) -> int:
        return self.views.behind

    def judged_on(self, on: date | None) -> date:
        return on if on is not None else self.cut.judged_on(self.ledger.today())

    def funding(self, by: str = "office", year: int | None = None, **filters: str | None) -> list[Any]:
        """FundingLine rows for by="position", else FundingTotal rows per year and group."""
        rows = queries.funding(self.views.engine, by=by, year=year, **filters)
        return [typed(FundingLine if by == "position" else FundingTotal, r) for r in rows]

    def expiry(self, year: int | None = None, **filters: str | None) -> list[ExpiryLine]:
        return [typed(ExpiryLine, r) for r in queries.expiry(self.views.engine, year=year, **filters)]

    def winddown(self, on: date | None = None,
                 **filters: str | None) -> tuple[list[WinddownYear], list[WinddownViolation]]:
        per_year, violations = queries.winddown(self.views.engine, self.judged_on(on), **filters)
        return [typed(WinddownYear, r) for r in per_year], [typed(WinddownViolation, r) for r in violations]

    def compliance(self, year: int | None = None, on: date | None = None,
                   **filters: str | None) -> list[ComplianceIssue]:
        rows = queries.compliance(self.views.engine, self.judged_on(on), year=year, **filters)
        return [typed(ComplianceIssue, r) for r in rows]

    def frames(self, year: int | None = None, **filters: str | None) -> list[FrameLine]:
        return [typed(FrameLine, r) for r in queries.frames(self.views.engine, year=year, **filters)]
