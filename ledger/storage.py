"""Storage failures as ledger errors, by error code (SQLite) and SQLSTATE (PostgreSQL), never by
matching message text, so each exits with its documented code and one line:

| failure | SQLite | PostgreSQL | error (exit) |
|---|---|---|---|
| not a ledger, no such database, unreachable | SQLITE_NOTADB | 3D000, class 08, none | InvalidInput (2) |
| damaged file or data | SQLITE_CORRUPT | XX001, XX002 | VerificationFailed (7) |
| disk full, I/O error, cannot open | SQLITE_FULL, _IOERR, _CANTOPEN | class 53, 58, 57P0x | StorageFailed (8) |
| read-only file or login, no privilege | SQLITE_READONLY, _PERM, _AUTH | 42501, 25006, class 28 | NotAllowed (5) |
| busy or locked too long, deadlock | SQLITE_BUSY, SQLITE_LOCKED | 40001, 40P01, 55P03 | ConcurrentChange (3) |

Library errors arrive wrapped (eventsourcing's PersistenceError, SQLAlchemy's DBAPIError), so the
cause chain is searched for the driver's own error.
"""

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from grants.domain.errors import (
    ConcurrentChange,
    GrantsError,
    InvalidInput,
    NotAllowed,
    StorageFailed,
    VerificationFailed,
)
from grants.domain.i18n import N_, _
from grants.ledger.config import redacted_url

# SQLite primary result codes (https://www.sqlite.org/rescode.html)
SQLITE = {
    11: (VerificationFailed, N_("db: the database file is damaged (SQLITE_CORRUPT); restore it from a backup")),
    26: (InvalidInput, N_("db: {url} is not a grants ledger (SQLITE_NOTADB: not an SQLite database)")),
    13: (StorageFailed, N_("db: the disk is full (SQLITE_FULL); nothing was written, free space and re-run")),
    10: (StorageFailed, N_("db: the disk could not be read or written (SQLITE_IOERR); nothing was written")),
    14: (StorageFailed,
         N_("db: the database file cannot be opened (SQLITE_CANTOPEN): check the path and its directory")),
    8: (NotAllowed, N_("db: the database file is read-only (SQLITE_READONLY); nothing was written")),
    3: (NotAllowed, N_("db: access to the database file was refused (SQLITE_PERM)")),
    23: (NotAllowed, N_("db: access to the database file was refused (SQLITE_AUTH)")),
    5: (ConcurrentChange, N_("db: the database stayed busy (SQLITE_BUSY); nothing was written, re-run")),
    6: (ConcurrentChange, N_("db: the database stayed locked (SQLITE_LOCKED); nothing was written, re-run")),
}
READ_ONLY_LOGIN = N_("database: permission denied for this login (its group lacks the right: "
                     "docs/audit.md, Identity; a read-only login reports with --known-at)")
POSTGRES = {  # exact SQLSTATEs first, then their class (first two characters)
    "42501": (NotAllowed, READ_ONLY_LOGIN),
    "25006": (NotAllowed, N_("database: the server is read-only (25006); nothing was written")),
    "XX001": (VerificationFailed, N_("database: the server reports damaged data (XX001); restore from a backup")),
    "XX002": (VerificationFailed, N_("database: the server reports a damaged index (XX002); reindex")),
    "40001": (ConcurrentChange, N_("database: concurrent change (40001); nothing was written, re-run")),
    "40P01": (ConcurrentChange, N_("database: deadlock with another writer (40P01); nothing was written, re-run")),
    "55P03": (ConcurrentChange, N_("database: a lock was not available in time (55P03); nothing was written, re-run")),
    "25P03": (StorageFailed, N_("database: the server ended a transaction left idle too long ({sqlstate}); "
                                "nothing was written, re-run")),
    "57P05": (StorageFailed, N_("database: the server ended a session left idle too long ({sqlstate}); "
                                "nothing was written, re-run")),
    "3D000": (InvalidInput, N_("db: the database named in {url} does not exist (3D000)")),
    "3F000": (InvalidInput, N_("db: the schema named in {url} does not exist (3F000); create it first")),
    "53": (StorageFailed,
           N_("database: the server is out of disk space or resources ({sqlstate}); nothing was written")),
    "58": (StorageFailed, N_("database: the server could not read or write its files ({sqlstate})")),
    "08": (InvalidInput, N_("db: cannot reach {url} ({sqlstate}): check the URL and that the server runs")),
    "57": (StorageFailed, N_("database: the server is shutting down or not accepting connections ({sqlstate})")),
    "28": (NotAllowed, N_("database: the server refused this login ({sqlstate}): check the user and password")),
}
UNREACHABLE = (InvalidInput, N_("db: cannot reach {url}: check the URL and that the server runs"))


def translate(error: BaseException, url: str | None = None) -> GrantsError | None:
    """The ledger error for a storage failure anywhere in `error`'s cause chain; None if it is none.
    A wrong or unreachable database is a usage error (exit 2) naming `url` without its password."""
    where = redacted_url(url) if url else _("the database")
    for cause in _causes(error):
        if isinstance(cause, GrantsError):
            return cause
        code = getattr(cause, "sqlite_errorcode", None)
        if isinstance(code, int):
            return _make(SQLITE.get(code & 0xFF), url=where)
        if _is_psycopg_error(cause):
            return _postgres(cause, where)
        if _unreadable_event(cause):
            return VerificationFailed("ledger: " + _(
                "a stored event cannot be read ({error}): it was altered outside the ledger; "
                "run grants verify to name it").format(error=type(cause).__name__))
    return None


def _unreadable_event(cause: BaseException) -> bool:
    """An event row the library cannot decode or replay: damaged or edited outside the ledger."""
    from eventsourcing.domain import OriginatorVersionError
    from eventsourcing.persistence import MapperDeserialisationError
    from eventsourcing.utils import TopicError

    return isinstance(cause, (MapperDeserialisationError, OriginatorVersionError, TopicError))


@contextmanager
def translated(url: str | None = None) -> Iterator[None]:
    """Re-raise storage failures inside the block as ledger errors (others pass unchanged)."""
    try:
        yield
    except GrantsError:
        raise
    except Exception as error:
        mapped = translate(error, url)
        if mapped is None:
            raise
        raise mapped from error


CHANGED_MEANWHILE = N_("position changed by someone else while this command ran; nothing was written, re-run")


@contextmanager
def stored() -> Iterator[None]:
    """Around a write: storage failures as ledger errors, and an expectation the recorder found
    failed inside the transaction (eventsourcing's IntegrityError: a position or frame recorded
    meanwhile) as a conflict (exit 3)."""
    from eventsourcing.persistence import IntegrityError

    try:
        with translated():
            yield
    except IntegrityError:
        raise ConcurrentChange(_(CHANGED_MEANWHILE)) from None


ROWS_AT_ONCE = 10_000  # rows a read-only query fetches per part (GrantsLedger.select_parts, report text)


def in_parts(cursor: Any, size: int = ROWS_AT_ONCE) -> Iterator[list[tuple]]:
    """A driver cursor's rows, `size` at a time."""
    while rows := cursor.fetchmany(size):
        yield rows


def is_storage_error(error: BaseException) -> bool:
    """Whether the database refused or failed (a missing table, a refused login, a lost server)
    anywhere in `error`'s cause chain, rather than the program erring."""
    from eventsourcing.persistence import PersistenceError

    return any(isinstance(cause, (sqlite3.Error, PersistenceError)) or _is_psycopg_error(cause)
               for cause in _causes(error))


def _causes(error: BaseException):
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy keeps the driver's error here
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)


def _is_psycopg_error(cause) -> bool:
    psycopg = sys.modules.get("psycopg")  # loaded if, and only if, a psycopg error can exist
    return psycopg is not None and isinstance(cause, psycopg.Error)


def _postgres(cause, where: str) -> GrantsError | None:
    sqlstate = getattr(cause, "sqlstate", None)
    if not sqlstate:  # psycopg raises OperationalError without a SQLSTATE when no server answered
        return _make(UNREACHABLE, url=where) if isinstance(cause, sys.modules["psycopg"].OperationalError) else None
    found = POSTGRES.get(sqlstate) or POSTGRES.get(sqlstate[:2])
    return _make(found, sqlstate=sqlstate, url=where)


def _make(found, **values) -> GrantsError | None:
    if found is None:
        return None
    kind, message = found
    return kind(_(message).format(**values))
