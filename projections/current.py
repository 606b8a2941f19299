"""Whether the read models are current, asked without SQLAlchemy: their layout and reference data
are the ones this version makes, and every projection has folded the log up to its head.

A report on current read models has nothing to catch up, so it can read them through the
ledger's own database connection (GrantsLedger.select_rows) and never import SQLAlchemy, which
alone took ~0.25-0.3 s of the 1 s `expiry` has at a million events (docs/performance.md). When
they are not current, the report takes the usual way (grants.projections.catch_up.open_views):
create or upgrade the tables, catch up, or refuse tables ahead of the log.
"""

from __future__ import annotations

from typing import Any

# 1: money columns 32-bit on PostgreSQL; 2: BigInteger; 3: discretion, entitlement, carry-over,
# kommune changes and appropriations (new columns and a table: the read models are folded again);
# 4: the covering index of the year totals (added to existing tables, rows kept); 5: the two
# indexes compliance finds its years through (added likewise)
SCHEMA_VERSION = 5


def wanted_state() -> tuple[int, str]:
    """The layout version and the reference data's fingerprint this version of the program makes."""
    from grants.projections.reference import reference_fingerprint

    return SCHEMA_VERSION, reference_fingerprint()


def is_current(ledger: Any) -> bool:
    """The read models have this version's layout and reference data, and every projection is at
    the log's head (not behind: a catch-up is due; not ahead: open_views refuses them). The
    database refusing to read them (no tables yet, a login without the right to read them) is a
    no: the usual way then says what is wrong. Any other error is the program's, and raised."""
    from grants.ledger.storage import is_storage_error

    try:
        state = ledger.select_rows("SELECT version, reference FROM proj_schema")
        tracked = ledger.select_rows("SELECT position FROM proj_tracking")
        head = ledger.head()
    except Exception as error:
        if not is_storage_error(error):
            raise
        return False
    return state == [wanted_state()] and bool(tracked) and all(position == head for (position,) in tracked)
