"""The hash chain on PostgreSQL (see ledger/chain.py); a module of its own so that SQLite users
never import psycopg.

Two things differ from SQLite:
- the chain row's `login` is written by the database: a BEFORE INSERT trigger sets it to
  `session_user`, whatever the client sent, so a login cannot record a row as someone else;
- writers serialise on a transaction-scoped advisory lock instead of the library's
  `LOCK TABLE ... IN EXCLUSIVE MODE`, which needs UPDATE or DELETE privilege: individual logins
  may only INSERT (ledger/identity.py), and must still append in commit order.
"""

import hashlib
import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry

from grants.ledger.chain import (
    CHAIN_COLUMNS,
    CHAIN_TABLE,
    EXPECTATION_FAILED,
    GENESIS,
    LogRow,
    chain_rows,
    chunks,
    event_hashes,
    log_where,
    seal_for,
)
from grants.ledger.storage import ROWS_AT_ONCE, in_parts

LOGIN_TRIGGER = "grants_chain_login"

# `:name` (not a `::` cast) marks a parameter of select_parts
NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    chain_key: bytes | None = None  # set by the ledger from GRANTS_CHAIN_KEY(_FILE)
    # Set by the ledger: the schema its URL names (?schema=), else None, the login's default search
    # path, as the read models' SQLAlchemy engine has them (grants.projections.db.engine_for)
    search_path: str | None = None

    def __init__(self, datastore, *, events_table_name="stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        from psycopg.sql import SQL, Identifier, Literal

        schema = Identifier(self.datastore.schema)
        self.chain_table = SQL("{}.{}").format(schema, Identifier(CHAIN_TABLE))
        self.events_table = SQL("{}.{}").format(schema, Identifier(self.events_table_name))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {} (notification_id bigint PRIMARY KEY, originator_id text NOT NULL, "
            "originator_version bigint NOT NULL, event_hash text NOT NULL, position_hash text NOT NULL, "
            "log_hash text NOT NULL, UNIQUE (originator_id, originator_version))").format(self.chain_table))
        self.sql_create_statements.extend(login_statements(schema, self.chain_table))
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            SQL("SELECT pg_advisory_xact_lock({})").format(Literal(log_lock_key(self.datastore.schema,
                                                                                 self.events_table_name))),
        ]
        self._login: str | None = None

    def has_ledger_tables(self) -> bool:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL AS found",
                         (f"{self.datastore.schema}.{self.events_table_name}",
                          f"{self.datastore.schema}.{CHAIN_TABLE}"))
            row = curs.fetchone()
            return bool(row and row["found"])

    def ensure_tables(self, attempts: int = 5) -> None:
        """Create the tables (or add the login and MAC columns to an older chain) when missing;
        another process doing it at once is retried. One query when all is in place."""
        for attempt in range(attempts):
            if self._tables_current():
                return
            try:
                self.create_table()
                return
            except Exception:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def upgrade(self) -> None:
        """Bring a ledger written by an earlier version up to date (its owner must open it once)."""
        self.ensure_tables()

    def _tables_current(self) -> bool:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s) "
                         "AS current", (f'"{self.datastore.schema}".{CHAIN_TABLE}', LOGIN_TRIGGER))
            row = curs.fetchone()
            return bool(row and row["current"])

    def login(self) -> str:
        """The database's session_user: who the chain rows of this connection will name."""
        if self._login is None:
            with self.datastore.transaction(commit=False) as curs:
                curs.execute("SELECT session_user AS login")
                row = curs.fetchone()
                assert row is not None
                self._login = row["login"]
        return self._login

    @property
    def events_table_text(self) -> str:
        """The events table's quoted, schema-qualified name, as text (for to_regclass and friends)."""
        return f'"{self.datastore.schema}"."{self.events_table_name}"'

    def owns_ledger(self) -> bool:
        """Whether this login owns the event table (or is a member of the role that does)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT pg_has_role(session_user, c.relowner, 'MEMBER') AS owner FROM pg_class c "
                         "WHERE c.oid = to_regclass(%s)", (self.events_table_text,))
            row = curs.fetchone()
            return bool(row and row["owner"])

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        """As the library's, but without psycopg's pipeline mode: a national batch (100k events in
        one INSERT) stalled forever in Pipeline.sync(); one plain transaction does not."""
        if not stored_events:
            return []
        return self.insert_batches((stored_events,), lambda: kwargs)

    def insert_batches(self, batches: Iterable[Sequence[Any]],
                       expectations: Callable[[], dict[str, Any]] = dict) -> list[int]:
        """Batches of events in one transaction, each inserted with its chain rows as it arrives,
        then `expectations()` checked (as the SQLite recorder's). Each batch is hashed before the
        ledger's lock is taken for it (the first batch: before anyone waits on this writer)."""
        login = self.login()  # outside the transaction: the pool may hand out another connection
        batches = iter(batches)
        first = next((stored for stored in batches if stored), None)  # awaited before BEGIN: no idle wait
        ids: list[int] = []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            for stored in itertools.chain([first] if first else [], batches):
                if not stored:  # a part that recorded nothing: the transaction is busy, not idle
                    curs.execute("SELECT 1")
                    continue
                hashes = event_hashes(stored)  # they need nothing from the database
                batch = self._copy_events(curs, stored)
                self._insert_chain(curs, stored, batch, login, hashes)
                ids += batch
            self._check_expectations(curs, ids, **expectations())
        return ids

    def wait_for_writers(self) -> None:
        """Return once no writer holds the ledger's lock: a writer whose client died after sending
        COMMIT keeps it until the server has finished that commit (or rolled it back)."""
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)

    def _copy_events(self, curs, stored_events: Sequence[Any]) -> list[int]:
        """The events' rows by one binary COPY, after the lock (the library's insert adapts an
        array of composite values in Python, most of a PostgreSQL import's time). Their
        notification ids come from the table's own sequence, drawn while the ledger's write lock
        is held, so ids still follow the order transactions commit in."""
        from psycopg.sql import SQL

        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(SQL("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id')) AS id "
                         "FROM generate_series(1, %s)"),
                     (self.events_table_text, len(stored_events)))
        ids = sorted(row["id"] for row in curs.fetchall())
        with curs.copy(SQL("COPY {} (originator_id, originator_version, topic, state, notification_id) "
                           "FROM STDIN (FORMAT BINARY)").format(self.events_table)) as copy:
            copy.set_types([self.datastore.originator_id_type, "int8", "text", "bytea", "int8"])
            for stored, notification_id in zip(stored_events, ids, strict=True):
                copy.write_row((stored.originator_id, stored.originator_version, stored.topic, stored.state,
                                notification_id))
        return ids

    def existing(self, originator_ids: Iterable[UUID]) -> set[UUID]:
        from psycopg.sql import SQL

        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as curs:
            for chunk in chunks(oid.hex for oid in originator_ids):
                curs.execute(SQL("SELECT originator_id FROM {} WHERE originator_version=1 AND originator_id = ANY(%s)")
                             .format(self.chain_table), (chunk,))
                found.update(UUID(row["originator_id"]) for row in curs.fetchall())
        return found

    def _insert_chain(self, curs, stored_events, ids: list[int], login: str, hashes: list[str]) -> None:
        """Add the chain rows in the same transaction by one binary COPY, each row made as it is
        sent (the session is not left idle in its transaction while they are made: eventsourcing
        ends one idle for 5 s, POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT; a batch's writer
        process, idle between parts, allows longer: ledger/batch_writer.py)."""
        from psycopg.sql import SQL

        # Writers hold the advisory lock until commit, so the chain's head cannot move.
        curs.execute(SQL("SELECT log_hash, mac FROM {} ORDER BY notification_id DESC LIMIT 1").format(self.chain_table))
        last = curs.fetchone()
        key = seal_for(self.chain_key, (last["log_hash"], last["mac"]) if last else None)
        previous = self._previous_position_hashes(curs, stored_events)
        rows = chain_rows(stored_events, ids, lambda oid, version: previous.get(oid, GENESIS),
                          last["log_hash"] if last else GENESIS, login, key, hashes)
        with curs.copy(SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                self.chain_table, SQL(", ").join(map(SQL, CHAIN_COLUMNS)))) as copy:
            copy.set_types(["int8", "text", "int8", "text", "text", "text", "text", "text"])
            for row in rows:  # the login trigger still fills `login` with session_user, row by row
                copy.write_row(row)

    def _previous_position_hashes(self, curs, stored_events) -> dict[str, str]:
        """The position hash before each position's first event in this batch."""
        from psycopg.sql import SQL

        wanted: dict[str, int] = {}
        for stored in stored_events:
            oid = stored.originator_id.hex if isinstance(stored.originator_id, UUID) else str(stored.originator_id)
            wanted.setdefault(oid, stored.originator_version - 1)
        wanted = {oid: version for oid, version in wanted.items() if version > 0}
        if not wanted:
            return {}
        curs.execute(SQL("SELECT c.originator_id, c.position_hash FROM {} c JOIN unnest(%s::text[], %s::bigint[]) "
                         "AS w(oid, ver) ON c.originator_id = w.oid AND c.originator_version = w.ver")
                     .format(self.chain_table), (list(wanted), list(wanted.values())))
        return {row["originator_id"]: row["position_hash"] for row in curs.fetchall()}

    def _check_expectations(self, curs, ids, expect_absent=(), expect_head=None, **_) -> None:
        """Inside the write transaction (writers hold the advisory lock until commit): see
        GrantsLedger._store."""
        from eventsourcing.persistence import IntegrityError
        from psycopg.sql import SQL

        if expect_absent:
            curs.execute(SQL("SELECT 1 FROM {} WHERE originator_id = ANY(%s) LIMIT 1").format(self.events_table),
                         (list(expect_absent),))
            if curs.fetchone():
                raise IntegrityError(EXPECTATION_FAILED)
        if expect_head is not None and ids:
            curs.execute(SQL("SELECT COUNT(*) AS n FROM {} WHERE notification_id > %s AND notification_id < %s")
                         .format(self.events_table), (expect_head, min(ids)))
            if curs.fetchone()["n"]:
                raise IntegrityError(EXPECTATION_FAILED)

    def select_chain(self, after: int | None, limit: int) -> list[tuple]:
        """Chain rows (CHAIN_COLUMNS) after notification id `after`; None: from the very first."""
        from psycopg.sql import SQL

        where, params = (SQL(""), (limit,)) if after is None else (SQL("WHERE notification_id > %s "), (after, limit))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT {} FROM {} {}ORDER BY notification_id LIMIT %s")
                         .format(SQL(", ").join(map(SQL, CHAIN_COLUMNS)), self.chain_table, where), params)
            return [tuple(r.values()) for r in curs.fetchall()]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library's reads
    def select_log(self, after: int | None, limit: int, stop: int | None = None,
                   topics: Sequence[str] = ()) -> list[LogRow]:
        """The library's select_notifications as plain rows, as on SQLite (ledger/chain.py): tuples
        rather than dicts, and no Notification objects (300,000 events read in 1.1-1.3 s rather
        than 2.3-2.6 s; a rebuild and a verify read every event)."""
        from psycopg.rows import tuple_row
        from psycopg.sql import SQL

        where, params = log_where("notification_id", after, stop, "%s",
                                  ("topic = ANY(%s)", [list(topics)]) if topics else None)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {} {}"
                             "ORDER BY notification_id LIMIT %s").format(self.events_table, SQL(where)),
                         (*params, limit), prepare=True)
            return [LogRow(row[0], row[1], row[2], row[3], bytes(row[4])) for row in curs.fetchall()]

    def select_parts(self, sql: str, params: Mapping[str, Any] | None = None,
                     part: int = ROWS_AT_ONCE) -> Iterator[list[tuple]]:
        """As on SQLite (ledger/chain.py): `:name` marks a parameter. The search path is the read
        models' SQLAlchemy sessions' (the schema the URL names, else the login's default; the
        library names its own tables with their schema instead), and JIT compiling is off, as for
        every report (grants.projections.reports.reading)."""
        from psycopg.rows import tuple_row
        from psycopg.sql import SQL, Identifier

        if "%" in sql:
            raise ValueError("select_parts: `:name` marks a parameter; a literal % is not supported")
        with (self.datastore.get_connection() as conn, conn.transaction(force_rollback=True),
              conn.cursor(row_factory=tuple_row) as curs):
            if self.search_path is not None:
                curs.execute(SQL("SET LOCAL search_path TO {}").format(Identifier(self.search_path)))
            curs.execute("SET LOCAL jit = off")
            curs.execute(NAMED_PARAMETER.sub(r"%(\1)s", sql), dict(params or {}))
            yield from in_parts(curs, part)

    def recorded_logins(self, originator_id: UUID) -> dict[int, str | None]:
        """Version -> login that recorded it, for one aggregate."""
        from psycopg.sql import SQL

        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT originator_version, login FROM {} WHERE originator_id = %s")
                         .format(self.chain_table), (originator_id.hex,))
            return {row["originator_version"]: row["login"] for row in curs.fetchall()}


def login_statements(schema: Any, chain_table: Any) -> list:
    """The login and MAC columns and the trigger that fills `login` with session_user.

    Added without a default first: a volatile default on ADD COLUMN would stamp every existing
    row with the login that runs the upgrade. The trigger, not the default, is the guarantee: a
    client's explicit value is overwritten."""
    from psycopg.sql import SQL, Identifier

    function = SQL("{}.{}").format(schema, Identifier(LOGIN_TRIGGER))
    return [
        SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS login text").format(chain_table),
        SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS mac text").format(chain_table),
        SQL("ALTER TABLE {} ALTER COLUMN login SET DEFAULT session_user").format(chain_table),
        SQL("CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$BEGIN NEW.login := session_user; RETURN NEW; END$$").format(function),
        SQL("DROP TRIGGER IF EXISTS {} ON {}").format(Identifier(LOGIN_TRIGGER), chain_table),
        SQL("CREATE TRIGGER {} BEFORE INSERT ON {} FOR EACH ROW EXECUTE FUNCTION {}()")
        .format(Identifier(LOGIN_TRIGGER), chain_table, function),
    ]


def log_lock_key(schema: str, table: str) -> int:
    """A stable signed 64-bit advisory lock key per event table."""
    digest = hashlib.sha256(f"grants-log|{schema}|{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
