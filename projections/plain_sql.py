"""Report SQL written as text, without SQLAlchemy: a report on read models that are current runs
it through the ledger's own connection (grants.projections.current); otherwise the same text runs
through SQLAlchemy's text(). `:name` marks a parameter, as both take it."""

from __future__ import annotations

from grants.domain.kommuner import lineage

# Text in ORDER BY compared by code point on every engine: why, in grants.projections.order.
CODE_POINT_ORDER = {"sqlite": "", "postgresql": ' COLLATE "C"'}


def positions_of_kommune(kommune: str) -> tuple[str, dict[str, str]]:
    """The condition on proj_positions of a kommune filter, and its parameters: the positions
    under any code of the kommune (3001 and 3101), and those with a year under one (a position
    that continued under another kommune after a reform)."""
    codes = {f"kommune_{number}": code for number, code in enumerate(lineage(kommune))}
    marks = ", ".join(f":{name}" for name in codes)
    return (f"(kommunenummer IN ({marks}) OR position_id IN "
            f"(SELECT position_id FROM proj_years WHERE kommunenummer IN ({marks})))", codes)
