"""The catch-up rule shared by the CLI and the API (grants.projections.api): report from the read
models caught up with the log, or, under a time cut, from a private replay. Apart from the API's
typed rows, whose dataclasses every report would otherwise build at start-up (~10 ms)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grants.ledger.time_axes import CutLog, TimeCut


@dataclass
class Views:
    """The read models to report from: their engine, how many events they lag the log (0 when
    caught up or replayed), and the time cut they show."""

    engine: Any
    behind: int
    cut: TimeCut


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
