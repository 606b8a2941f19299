"""Tamper evidence: a hash chain written in the same transaction as the events.

For every stored event the recorder adds a row to `grants_chain`:
  event_hash    = sha256(originator_id | version | topic | state)
  position_hash = sha256(position_hash of the previous version of this position | event_hash)
  log_hash      = sha256(log_hash of the previous event in recording order | notification_id | event_hash)
`grants verify` recomputes all three from the events alone. The head log hash and the number of
events form the ledger digest; an auditor who writes it down can later detect even a rewrite of
the whole chain (`grants verify --digest N:HASH`).
"""

import hashlib
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteApplicationRecorder

CHAIN_TABLE = "grants_chain"
GENESIS = ""


def sha(*parts) -> str:
    """sha256 of the parts, each followed by "|" (one call: this runs three times per event)."""
    return hashlib.sha256(b"".join([(p if isinstance(p, bytes) else str(p).encode()) + b"|" for p in parts])).hexdigest()


def event_hash(originator_id, version: int, topic: str, state: bytes) -> str:
    oid = originator_id.hex if isinstance(originator_id, UUID) else UUID(str(originator_id)).hex
    return sha(oid, version, topic, bytes(state))


def chain_rows(stored_events, notification_ids, previous_position_hash, previous_log_hash):
    """The chain rows for a batch of newly inserted events, in insertion order."""
    rows, positions, log = [], {}, previous_log_hash
    for stored, notification_id in zip(stored_events, notification_ids):
        oid = stored.originator_id.hex if isinstance(stored.originator_id, UUID) else str(stored.originator_id)
        if oid not in positions:
            positions[oid] = previous_position_hash(oid, stored.originator_version - 1)
        e_hash = event_hash(stored.originator_id, stored.originator_version, stored.topic, stored.state)
        positions[oid] = sha(positions[oid], e_hash)
        log = sha(log, notification_id, e_hash)
        rows.append((notification_id, oid, stored.originator_version, e_hash, positions[oid], log))
    return rows


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + [
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (notification_id INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, event_hash TEXT NOT NULL, "
            "position_hash TEXT NOT NULL, log_hash TEXT NOT NULL, UNIQUE (originator_id, originator_version))"
        ]

    def has_ledger_tables(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN (?, ?)",
                      (self.events_table_name, CHAIN_TABLE))
            return c.fetchone()[0] == 2

    def existing(self, originator_ids) -> set:
        """Which of these aggregates have events (one query per 500 ids, for batch imports)."""
        found = set()
        with self.datastore.transaction(commit=False) as c:
            for chunk in chunks(oid.hex for oid in originator_ids):
                c.execute(f"SELECT originator_id FROM {CHAIN_TABLE} WHERE originator_version=1 AND "
                          f"originator_id IN ({','.join('?' * len(chunk))})", chunk)
                found.update(UUID(row[0]) for row in c.fetchall())
        return found

    def select_chain(self, after: int, limit: int) -> list[tuple]:
        """Chain rows (notification_id, originator_id, version, event_hash, position_hash, log_hash)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {CHAIN_TABLE} WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
                      (after, limit))
            return [tuple(r) for r in c.fetchall()]

    def _insert_events(self, c, stored_events, **kwargs):
        ids = super()._insert_events(c, stored_events, **kwargs)
        self._check_expectations(c, ids, **kwargs)

        def previous_position_hash(oid, version):
            if version == 0:
                return GENESIS
            c.execute(f"SELECT position_hash FROM {CHAIN_TABLE} WHERE originator_id=? AND originator_version=?",
                      (oid, version))
            row = c.fetchone()
            return row[0] if row else GENESIS

        c.execute(f"SELECT log_hash FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
        last = c.fetchone()
        rows = chain_rows(stored_events, ids, previous_position_hash, last[0] if last else GENESIS)
        c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?, ?, ?, ?)", rows)
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


def chunks(items, size=500):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]
