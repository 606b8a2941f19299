"""Tamper evidence: a hash chain written in the same transaction as the events.

For every stored event the recorder adds a row to `grants_chain`:
  event_hash    = sha256(originator_id | version | topic | state)
  position_hash = sha256(position_hash of the previous version of this position | event_hash)
  log_hash      = sha256(log_hash of the previous event in recording order | notification_id | event_hash
                         [| login])
  login         = who wrote the row: on PostgreSQL the database's session_user (set by a trigger no
                  client can override), on SQLite the OS user; rows written before logins were
                  recorded have none, and their log hash leaves it out
  mac           = HMAC-SHA256(chain key, log_hash) when the ledger is keyed (docs/audit.md)
`grants verify` recomputes them from the events alone. The head log hash and the number of
events form the ledger digest; an auditor who writes it down (or a checkpoint file) can later
detect even a rewrite of the whole chain; the MAC stops a forger who lacks the key.
"""

import getpass
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteApplicationRecorder

from grants.domain.errors import NotAllowed
from grants.domain.i18n import _
from grants.domain.lazy import LazyModule
from grants.ledger.storage import ROWS_AT_ONCE, in_parts

if TYPE_CHECKING:
    import hashlib
    import hmac
else:  # OpenSSL loads on the first hash: a reading command (`grants show`) never hashes
    hashlib, hmac = LazyModule("hashlib"), LazyModule("hmac")

CHAIN_TABLE = "grants_chain"
CHAIN_COLUMNS = ("notification_id", "originator_id", "originator_version", "event_hash", "position_hash",
                 "log_hash", "login", "mac")
GENESIS = ""


def sha(*parts: object) -> str:
    """sha256 of the parts, each followed by "|" (one call: this runs three times per event)."""
    joined = b"".join([(p if isinstance(p, bytes) else str(p).encode()) + b"|" for p in parts])
    return hashlib.sha256(joined).hexdigest()


# The three hashes below are sha(...) of their parts, written out: they run for every event
# stored and verified, and formatting the bytes at once costs a third of joining them.

def event_hash(originator_id: UUID | str, version: int, topic: str, state: bytes) -> str:
    """sha(originator id as hex, version, topic, state)."""
    oid = originator_id.hex if isinstance(originator_id, UUID) else UUID(str(originator_id)).hex
    return hashlib.sha256(b"%s|%d|%s|%s|" % (oid.encode(), version, topic.encode(), bytes(state))).hexdigest()


def position_link(previous: str, e_hash: str) -> str:
    """sha(the position hash of the previous version, event hash)."""
    return hashlib.sha256(f"{previous}|{e_hash}|".encode()).hexdigest()


def log_link(previous: str, notification_id: int, e_hash: str, login: str | None) -> str:
    """The log hash of one row, sha(previous, id, event hash[, login]): the login is part of it
    when one was recorded."""
    if login is None:
        return hashlib.sha256(f"{previous}|{notification_id}|{e_hash}|".encode()).hexdigest()
    return hashlib.sha256(f"{previous}|{notification_id}|{e_hash}|{login}|".encode()).hexdigest()


def chain_mac(key: bytes, log_hash: str) -> str:
    """The keyed seal of one row: the log hash already covers every earlier row."""
    return hmac.new(key, b"grants-chain|" + log_hash.encode(), hashlib.sha256).hexdigest()


def mac_matches(key: bytes, log_hash: str, mac: str | None) -> bool:
    return mac is not None and hmac.compare_digest(chain_mac(key, log_hash), str(mac))


def os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


def seal_for(key: bytes | None, previous: tuple | None) -> bytes | None:
    """The key to seal new rows with, or None; refuses what would break a keyed chain.

    `previous` is the last chain row's (log_hash, mac). Once a row carries a MAC, every later
    row must: a writer without the key, or with another key, is refused before anything is written.
    """
    sealed = previous is not None and previous[1] is not None
    if sealed and key is None:
        raise NotAllowed("chain: " + _(
            "this ledger is keyed; set GRANTS_CHAIN_KEY_FILE (or GRANTS_CHAIN_KEY) to write"))
    if sealed and key is not None and previous is not None and not mac_matches(key, previous[0], previous[1]):
        raise NotAllowed("chain: " + _("the configured chain key is not this ledger's key (its last row does not "
                                       "match)"))
    return key


def event_hashes(stored_events: Sequence[Any]) -> list[str]:
    """Every event's hash, in one pass: they need nothing from the database, so a writer computes
    them before it takes the write lock."""
    return [event_hash(s.originator_id, s.originator_version, s.topic, s.state) for s in stored_events]


def chain_rows(stored_events: Sequence[Any], notification_ids: Sequence[int],
               previous_position_hash: Callable[[str, int], str], previous_log_hash: str,
               login: str | None = None, key: bytes | None = None,
               hashes: Sequence[str] | None = None) -> Iterator[tuple]:
    """The chain rows for a batch of newly inserted events, in insertion order (CHAIN_COLUMNS),
    one at a time; `hashes` are the events' own hashes when computed beforehand (event_hashes)."""
    positions: dict[str, str] = {}  # originator id -> its latest position hash in this batch
    log = previous_log_hash
    for i, (stored, notification_id) in enumerate(zip(stored_events, notification_ids, strict=True)):
        oid = stored.originator_id.hex if isinstance(stored.originator_id, UUID) else str(stored.originator_id)
        version = stored.originator_version
        previous = positions.get(oid)
        if previous is None:
            previous = previous_position_hash(oid, version - 1)
        e_hash = hashes[i] if hashes is not None else event_hash(stored.originator_id, version, stored.topic,
                                                                 stored.state)
        positions[oid] = position_hash = position_link(previous, e_hash)
        log = log_link(log, notification_id, e_hash, login)
        yield (notification_id, oid, version, e_hash, position_hash, log, login, chain_mac(key, log) if key else None)


# A stored event as the log reads it: what the mapper's to_domain_event reads of a Notification.
LogRow = namedtuple("LogRow", "id originator_id originator_version topic state")


def log_where(id_column: str, after: int | None, stop: int | None, mark: str,
              topics: tuple[str, list] | None) -> tuple[str, list]:
    """The WHERE of a log read and its parameters: ids after `after` and up to `stop` (None: no
    bound), `mark` being the driver's parameter; `topics`, if any, the driver's condition on the
    topic column and its parameters."""
    found = [(f"{id_column} {test} {mark}", [value]) for test, value in ((">", after), ("<=", stop))
             if value is not None] + ([topics] if topics else [])
    return ("WHERE " + " AND ".join(condition for condition, _ in found) + " " if found else "",
            [value for _, values in found for value in values])


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    chain_key: bytes | None = None  # set by the ledger from GRANTS_CHAIN_KEY(_FILE)

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + [
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (notification_id INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, event_hash TEXT NOT NULL, "
            "position_hash TEXT NOT NULL, log_hash TEXT NOT NULL, login TEXT, mac TEXT, "
            "UNIQUE (originator_id, originator_version))"
        ]

    def has_ledger_tables(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN (?, ?)",
                      (self.events_table_name, CHAIN_TABLE))
            return c.fetchone()[0] == 2
    def _create_table(self, c) -> None:
        super()._create_table(c)
        self._add_missing_columns(c)

    def upgrade(self) -> None:
        """Bring a ledger written by an earlier version up to date (one query when it is)."""
        with self.datastore.transaction(commit=False) as c:
            if not self._missing_columns(c):
                return
        with self.datastore.transaction(commit=True) as c:
            self._add_missing_columns(c)

    def _missing_columns(self, c) -> list[str]:
        c.execute(f"PRAGMA table_info({CHAIN_TABLE})")
        present = {row[1] for row in c.fetchall()}
        return [column for column in ("login", "mac") if column not in present]

    def _add_missing_columns(self, c) -> None:
        for column in self._missing_columns(c):  # ledgers made before logins and keys were recorded
            c.execute(f"ALTER TABLE {CHAIN_TABLE} ADD COLUMN {column} TEXT")

    def existing(self, originator_ids: Iterable[UUID]) -> set[UUID]:
        """Which of these aggregates have events (one query per 500 ids, for batch imports)."""
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as c:
            for chunk in chunks(oid.hex for oid in originator_ids):
                c.execute(f"SELECT originator_id FROM {CHAIN_TABLE} WHERE originator_version=1 AND "
                          f"originator_id IN ({','.join('?' * len(chunk))})", chunk)
                found.update(UUID(row[0]) for row in c.fetchall())
        return found

    def select_chain(self, after: int | None, limit: int) -> list[tuple]:
        """Chain rows (CHAIN_COLUMNS) after notification id `after`; None: from the very first,
        whatever its id (rows at id 0 or below exist only if someone put them there)."""
        where, params = ("", (limit,)) if after is None else ("WHERE notification_id > ? ", (after, limit))
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {', '.join(CHAIN_COLUMNS)} FROM {CHAIN_TABLE} {where}ORDER BY notification_id "
                      "LIMIT ?", params)
            return [tuple(r) for r in c.fetchall()]

    def select_log(self, after: int | None, limit: int, stop: int | None = None,
                   topics: Sequence[str] = ()) -> list[LogRow]:
        """The library's select_notifications (ids after `after` up to `stop`, of these topics,
        `limit` at most; None: no bound) as plain rows: building a Notification and reading named
        columns was half of its time per event, and a rebuild or a verify reads every event
        (tests/integration/test_storage_contract.py holds the two to the same rows)."""
        where, params = log_where("rowid", after, stop, "?", (
            f"topic IN ({','.join('?' * len(topics))})", list(topics)) if topics else None)
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
                      f"{where}ORDER BY rowid LIMIT ?", (*params, limit))
            # UUID, as the library's convert_originator_id gives for the ledger's ids (always UUIDs)
            return [LogRow(row[0], UUID(row[1]), row[2], row[3], row[4]) for row in c.fetchall()]

    def select_parts(self, sql: str, params: Mapping[str, Any] | None = None,
                     part: int = ROWS_AT_ONCE) -> Iterator[list[tuple]]:
        """The rows of a read-only query on the ledger's database, as tuples, `part` at a time, in
        one read transaction. `:name` marks a parameter (as sqlite3, SQLAlchemy's text() and the
        PostgreSQL recorder take it). For the read models beside the log, read without SQLAlchemy
        (grants.projections.current)."""
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor  # the driver's own: tuples (not the library's sqlite3.Row), in parts
            cursor.row_factory = None
            cursor.execute(sql, dict(params or {}))
            yield from in_parts(cursor, part)

    def recorded_logins(self, originator_id: UUID) -> dict[int, str | None]:
        """Version -> login that recorded it, for one aggregate."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT originator_version, login FROM {CHAIN_TABLE} WHERE originator_id=?",
                      (originator_id.hex,))
            return {row[0]: row[1] for row in c.fetchall()}

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        """As the library's: one batch, with its expectations (GrantsLedger._store)."""
        return self.insert_batches((stored_events,), lambda: kwargs)

    def insert_batches(self, batches: Iterable[Sequence[Any]],
                       expectations: Callable[[], dict[str, Any]] = dict) -> list[int]:
        """Batches of events in one transaction, each inserted with its chain rows as it arrives,
        then `expectations()` checked (asked for after the last batch: a batch import learns
        which frames it assumed absent as it decides). An exception from `batches` rolls every
        batch back. Each batch is hashed before it is inserted: the first before the write lock
        is taken (BEGIN takes no lock in SQLite; the first insert does). An empty batch is
        skipped: a read first would make the transaction a snapshot SQLite cannot upgrade."""
        with self.datastore.transaction(commit=True) as c:
            ids = [i for stored in batches if stored for i in self._insert_events(c, stored, event_hashes(stored))]
            self._check_expectations(c, ids, **expectations())
        return ids

    def wait_for_writers(self) -> None:
        """Nothing to wait for: a SQLite writer's lock ends with its process, and a commit is
        complete (or absent) once its process has ended."""

    def _insert_events(self, c, stored_events, hashes=None, **_):
        # Insert first: that takes SQLite's write lock (waiting for it), so the chain head read
        # next cannot move. Reading first would make this a read transaction that SQLite refuses
        # to upgrade ("database is locked", no waiting) once another writer has committed.
        ids = self._insert_rows(c, stored_events)
        c.execute(f"SELECT log_hash, mac FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
        last = c.fetchone()
        key = seal_for(self.chain_key, tuple(last) if last else None)  # a refusal rolls the insert back

        def previous_position_hash(oid, version):
            if version == 0:
                return GENESIS
            c.execute(f"SELECT position_hash FROM {CHAIN_TABLE} WHERE originator_id=? AND originator_version=?",
                      (oid, version))
            row = c.fetchone()
            return row[0] if row else GENESIS

        rows = list(chain_rows(stored_events, ids, previous_position_hash, last[0] if last else GENESIS,
                               os_login(), key, hashes))  # made before the insert: the lookups share the cursor
        c.executemany(f"INSERT INTO {CHAIN_TABLE} ({', '.join(CHAIN_COLUMNS)}) VALUES ({', '.join('?' * 8)})",
                      rows)
        return ids

    def _insert_rows(self, c, stored_events: Sequence[Any]) -> list[int]:
        """The events' rows, all but the first by one executemany (the library inserts them one by
        one to read each rowid); returns their notification ids. SQLite gives a new row the largest
        rowid + 1, so the ids follow the first one's, which the largest rowid afterwards confirms."""
        rows = [(s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                 s.originator_version, s.topic, s.state) for s in stored_events]
        if not rows:
            return []
        c.execute(self.insert_events_statement, rows[0])
        first = c.lastrowid
        c.executemany(self.insert_events_statement, rows[1:])
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        if c.fetchone()[0] == first + len(rows) - 1:
            return list(range(first, first + len(rows)))
        ids = []  # not consecutive: a row at the largest possible rowid makes SQLite choose at random
        for oid, version, _topic, _state in rows:
            c.execute(f"SELECT rowid FROM {self.events_table_name} WHERE originator_id=? AND originator_version=?",
                      (oid, version))
            ids.append(c.fetchone()[0])
        return ids

    def _check_expectations(self, c, ids, expect_absent=(), expect_head=None, **_) -> None:
        """Inside the write transaction (the insert holds SQLite's write lock): see
        GrantsLedger._store."""
        absent = [oid.hex for oid in expect_absent]
        if absent:
            c.execute(f"SELECT 1 FROM {self.events_table_name} WHERE originator_id IN "
                      f"({','.join('?' * len(absent))}) LIMIT 1", absent)
            if c.fetchone():
                raise IntegrityError(EXPECTATION_FAILED)
        if expect_head is not None and ids:
            c.execute(f"SELECT COUNT(*) FROM {self.events_table_name} WHERE rowid > ? AND rowid < ?",
                      (expect_head, min(ids)))
            if c.fetchone()[0]:
                raise IntegrityError(EXPECTATION_FAILED)


EXPECTATION_FAILED = "recorded meanwhile by someone else"


def chunks(items: Iterable[Any], size: int = 500) -> list[list[Any]]:
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]
