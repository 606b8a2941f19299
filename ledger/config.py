"""One database URL selects the storage.

`sqlite:///path` (the embedded default) is served by eventsourcing's own `eventsourcing.sqlite`
module and `postgresql[+psycopg]://user:password@host:port/db` by `eventsourcing.postgres`: both
were measured faster to import and to write than the SQLAlchemy recorder (docs/architecture.md),
so a write command never imports SQLAlchemy. The projections use SQLAlchemy on the same URL.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from grants.domain.errors import InvalidInput

ENV_DB = "GRANTS_DB"
ENV_CHAIN_KEY = "GRANTS_CHAIN_KEY"  # the chain key itself (prefer the file: environments leak)
ENV_CHAIN_KEY_FILE = "GRANTS_CHAIN_KEY_FILE"  # a file holding the chain key
ENV_CHECKPOINTS = "GRANTS_CHECKPOINTS"  # the checkpoint file `grants verify` compares and appends to
MIN_KEY_BYTES = 32


def default_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('grants')) / 'ledger.sqlite'}"


def resolve_url(url: str | None) -> str:
    return url or os.environ.get(ENV_DB) or default_url()


def redacted_url(url: str) -> str:
    """The URL with any password replaced by ***, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, parts.fragment))


def chain_key(environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The chain key from GRANTS_CHAIN_KEY_FILE (preferred) or GRANTS_CHAIN_KEY; None when unset."""
    path = environ.get(ENV_CHAIN_KEY_FILE)
    if path:
        try:
            key = Path(path).read_bytes().strip()
        except OSError as error:
            raise InvalidInput(f"chain key: cannot read {ENV_CHAIN_KEY_FILE} {path!r}: {error.strerror}") from None
    elif environ.get(ENV_CHAIN_KEY):
        key = environ[ENV_CHAIN_KEY].strip().encode()
    else:
        return None
    if len(key) < MIN_KEY_BYTES:
        raise InvalidInput(f"chain key: must be at least {MIN_KEY_BYTES} bytes (e.g. 64 hex digits), got {len(key)}")
    return key


def checkpoints_path(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The checkpoint file named by GRANTS_CHECKPOINTS, if any."""
    raw = environ.get(ENV_CHECKPOINTS)
    return Path(raw).expanduser() if raw else None


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


def eventsourcing_env(url: str, *, create: bool = False) -> dict[str, str]:
    """The eventsourcing environment for a database URL. Without `create`, a ledger that does
    not exist is an error (only grants init and grants demo create one)."""
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        path = Path(str(sqlite_path(url)))
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
