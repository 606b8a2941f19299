"""One database URL selects the storage.

`sqlite:///path` (the embedded default) is served by eventsourcing's own `eventsourcing.sqlite`
module and `postgresql[+psycopg]://user:password@host:port/db` by `eventsourcing.postgres`: both
were measured faster to import and to write than the SQLAlchemy recorder (docs/architecture.md),
so a write command never imports SQLAlchemy. The projections use SQLAlchemy on the same URL.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from grants.domain.errors import GrantsError, InvalidInput, NotAllowed

ENV_DB = "GRANTS_DB"


def default_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('grants')) / 'ledger.sqlite'}"


def resolve_url(url: str | None) -> str:
    return url or os.environ.get(ENV_DB) or default_url()


def sqlite_path(url: str) -> str | None:
    """The file of an sqlite URL (None for other engines)."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("sqlite"):
        return None
    path = unquote(url.split("://", 1)[1])
    path = path[1:] if path.startswith("/") else path  # sqlite:///rel, sqlite:////abs
    if not path or path == ":memory:":
        raise InvalidInput("db: an in-memory SQLite ledger would forget everything; give a file path")
    return path


def redacted_url(url: str) -> str:
    """The URL without its password, for messages and output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def eventsourcing_env(url: str, *, create: bool = False) -> dict[str, str]:
    """The eventsourcing environment for a database URL. Without `create`, a ledger that does
    not exist is an error (only grants init and grants demo create one)."""
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        path = Path(sqlite_path(url))
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise InvalidInput(f"db: no ledger at {path} (create it with grants init)")
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path),
                "CREATE_TABLE": "true" if create else "false",
                "SQLITE_LOCK_TIMEOUT": "5", "APPLICATION_RECORDER_TOPIC": "grants.ledger.chain:ChainedSQLiteRecorder"}
    if scheme in ("postgresql", "postgresql+psycopg", "postgres"):
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or ""),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": "2",
            "APPLICATION_RECORDER_TOPIC": "grants.ledger.chain_postgres:ChainedPostgresRecorder",
            # Concurrent DDL on every start conflicts in PostgreSQL's catalog ("tuple concurrently
            # updated"); the ledger creates its tables once, in GrantsLedger.create.
            "CREATE_TABLE": "false",
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"][0]
        if query.get("connect_timeout", [""])[0].isdigit():  # libpq's own URL parameter, in seconds
            env["POSTGRES_CONNECT_TIMEOUT"] = query["connect_timeout"][0]
        return env
    raise InvalidInput(f"db: unsupported database URL scheme {scheme!r}; use sqlite:/// or postgresql+psycopg://")


def check_ledger(app: Any) -> None:
    """Refuse a database that holds no ledger (a mistyped URL, or someone else's database)."""
    if not app.recorder.has_ledger_tables():
        raise InvalidInput(f"db: no ledger at {redacted_url(app.url)} (create it with grants init)")


# SQLSTATE classes and codes that say something to a user (PostgreSQL; psycopg's `sqlstate`).
INSUFFICIENT_PRIVILEGE = "42501"
CONNECTION_CLASS = "08"


def storage_error(error: Exception, url: str) -> Exception:
    """Translate a storage library's error on opening a ledger into one the user can act on."""
    if isinstance(error, GrantsError):
        return error
    cause = root_cause(error)
    where = redacted_url(url)
    sqlstate = getattr(cause, "sqlstate", None) or ""
    if sqlstate == INSUFFICIENT_PRIVILEGE:
        return NotAllowed("database: permission denied for this login (read-only? use --as-of for reports)")
    if sqlstate.startswith(CONNECTION_CLASS) or type(cause).__name__ in ("OperationalError", "ConnectionTimeout"):
        if "sqlite" not in type(cause).__module__:
            return InvalidInput(f"db: cannot reach {where}: {first_line(cause)}")
    if type(cause).__module__ == "sqlite3" and isinstance(cause, Exception):
        return InvalidInput(f"db: {where} is not a readable grants ledger ({first_line(cause)})")
    return error


def root_cause(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
