"""The catch-up rule shared by the CLI and the API (grants.projections.api): report from the read
models caught up with the log, or, under a time cut, from a private replay; a report whose SQL is
text reads current ones without SQLAlchemy (open_current). Apart from the API's typed rows, whose
dataclasses every report would otherwise build at start-up (~10 ms)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from grants.ledger.time_axes import CutLog, TimeCut


@dataclass
class Views:
    """The read models to report from: their engine, how many events they lag the log (0 when
    caught up or replayed), and the time cut they show. No engine: they are the ledger's own,
    current, and read through its connection (open_current)."""

    engine: Any
    behind: int
    cut: TimeCut
    ledger: Any = None

    @property
    def dialect(self) -> str:
        """The database's kind, as SQLAlchemy names it: sqlite or postgresql."""
        if self.engine is not None:
            return self.engine.dialect.name
        return "postgresql" if self.ledger.on_postgres else "sqlite"

    def select_parts(self, sql: str, params: dict[str, Any]) -> Iterable[list[tuple]]:
        """The rows of a report's SQL text (grants.projections.plain_sql), a part at a time."""
        if self.engine is None:
            return self.ledger.select_parts(sql, params)
        from grants.projections.reports import text_parts

        return text_parts(self.engine, sql, params)


NOW = TimeCut()  # no cut: today's answer


def open_views(ledger: Any, cut: TimeCut = NOW, progress: Any = None) -> Views:
    """The catch-up rule shared by the CLI and the API (see the module docstring); `progress`, if
    given, is called as (projection, position, head) after each batch folded."""
    from grants.projections.db import cannot_write, engine_for
    from grants.projections.runner import Runner

    if not cut.is_now:
        runner = Runner(engine_for("sqlite://"), CutLog(ledger, cut))
        runner.catch_up(progress=progress)
        return Views(runner.engine, 0, cut)
    runner = Runner(engine_for(ledger.url), ledger)
    try:
        runner.catch_up(progress=progress)
    except Exception as error:  # noqa: BLE001 - only a login that may not write reads stale tables
        if not cannot_write(error):
            runner.engine.dispose()  # its pooled connection, before the caller hears of the failure
            raise
    behind = max(0, ledger.head() - min(runner.tracked().values()))
    return Views(runner.engine, behind, cut)


def open_current(ledger: Any, cut: TimeCut = NOW) -> Views:
    """As open_views, for a report whose SQL is text (grants.projections.expiry): read models that
    are current are read through the ledger's own connection, and SQLAlchemy is never imported
    (grants.projections.current); any others are opened as open_views opens them."""
    from grants.projections.current import is_current

    if cut.is_now and is_current(ledger):
        return Views(None, 0, cut, ledger)
    return open_views(ledger, cut)
