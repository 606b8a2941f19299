"""The hash chain on PostgreSQL (see ledger/chain.py); a module of its own so that SQLite users
never import psycopg."""

from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder

from grants.ledger.chain import CHAIN_TABLE, EXPECTATION_FAILED, GENESIS, chain_rows, chunks


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore, *, events_table_name="stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        from psycopg.sql import SQL, Identifier

        self.chain_table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {} (notification_id bigint PRIMARY KEY, originator_id text NOT NULL, "
            "originator_version bigint NOT NULL, event_hash text NOT NULL, position_hash text NOT NULL, "
            "log_hash text NOT NULL, UNIQUE (originator_id, originator_version))").format(self.chain_table))

    def has_ledger_tables(self) -> bool:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL AS found",
                         (f"{self.datastore.schema}.{self.events_table_name}",
                          f"{self.datastore.schema}.{CHAIN_TABLE}"))
            return bool(curs.fetchone()["found"])

    def ensure_tables(self, attempts: int = 5) -> None:
        """Create the tables when missing; another process creating them at once is retried."""
        import time

        for attempt in range(attempts):
            with self.datastore.transaction(commit=False) as curs:
                curs.execute("SELECT to_regclass(%s) AS found", (f"{self.datastore.schema}.{CHAIN_TABLE}",))
                if curs.fetchone()["found"] is not None:
                    return
            try:
                self.create_table()
                return
            except Exception:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def insert_events(self, stored_events, **kwargs):
        """As the library's, but without psycopg's pipeline mode: a national batch (100k events in
        one INSERT) stalled forever in Pipeline.sync(); one plain transaction does not."""
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def existing(self, originator_ids) -> set:
        from psycopg.sql import SQL

        found = set()
        with self.datastore.transaction(commit=False) as curs:
            for chunk in chunks(oid.hex for oid in originator_ids):
                curs.execute(SQL("SELECT originator_id FROM {} WHERE originator_version=1 AND originator_id = ANY(%s)")
                             .format(self.chain_table), (chunk,))
                found.update(UUID(row["originator_id"]) for row in curs.fetchall())
        return found

    def _fetch_ids_after_insert_events(self, curs, stored_events, **kwargs):
        """Add the chain rows in the same transaction, in three statements whatever the batch size
        (one query per row stalls psycopg's pipeline on large batches)."""
        from psycopg.sql import SQL

        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self._check_expectations(curs, ids, **kwargs)
        # The events table is locked (EXCLUSIVE) by the insert, so the chain's head cannot move.
        curs.execute(SQL("SELECT log_hash FROM {} ORDER BY notification_id DESC LIMIT 1").format(self.chain_table))
        last = curs.fetchone()
        wanted = {}  # the version before each position's first event in this batch
        for stored in stored_events:
            oid = stored.originator_id.hex if isinstance(stored.originator_id, UUID) else str(stored.originator_id)
            wanted.setdefault(oid, stored.originator_version - 1)
        wanted = {oid: version for oid, version in wanted.items() if version > 0}
        previous = {}
        if wanted:
            curs.execute(SQL("SELECT c.originator_id, c.position_hash FROM {} c JOIN unnest(%s::text[], %s::bigint[]) "
                             "AS w(oid, ver) ON c.originator_id = w.oid AND c.originator_version = w.ver")
                         .format(self.chain_table), (list(wanted), list(wanted.values())))
            previous = {row["originator_id"]: row["position_hash"] for row in curs.fetchall()}
        rows = chain_rows(stored_events, ids, lambda oid, version: previous.get(oid, GENESIS),
                          last["log_hash"] if last else GENESIS)
        columns = list(zip(*rows))
        curs.execute(SQL("INSERT INTO {} SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], "
                         "%s::text[], %s::text[])").format(self.chain_table), [list(col) for col in columns])
        return ids

    def _check_expectations(self, curs, ids, expect_absent=(), expect_head=None, **_) -> None:
        """Inside the write transaction (the insert holds the events table's EXCLUSIVE lock):
        see GrantsLedger._store."""
        from eventsourcing.persistence import IntegrityError
        from psycopg.sql import SQL, Identifier

        table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        if expect_absent:
            curs.execute(SQL("SELECT 1 FROM {} WHERE originator_id = ANY(%s) LIMIT 1").format(table),
                         (list(expect_absent),))
            if curs.fetchone():
                raise IntegrityError(EXPECTATION_FAILED)
        if expect_head is not None and ids:
            curs.execute(SQL("SELECT COUNT(*) AS n FROM {} WHERE notification_id > %s AND notification_id < %s")
                         .format(table), (expect_head, min(ids)))
            if curs.fetchone()["n"]:
                raise IntegrityError(EXPECTATION_FAILED)

    def select_chain(self, after: int, limit: int) -> list[tuple]:
        from psycopg.sql import SQL

        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT notification_id, originator_id, originator_version, event_hash, position_hash, "
                             "log_hash FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
                         .format(self.chain_table), (after, limit))
            return [tuple(r.values()) for r in curs.fetchall()]
