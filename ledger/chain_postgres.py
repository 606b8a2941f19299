"""The hash chain on PostgreSQL (see ledger/chain.py); a module of its own so that SQLite users
never import psycopg."""

from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.chain import CHAIN_TABLE, GENESIS, chain_rows, chunks


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore, *, events_table_name="stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        from psycopg.sql import SQL, Identifier

        self.chain_table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {} (notification_id bigint PRIMARY KEY, originator_id text NOT NULL, "
            "originator_version bigint NOT NULL, event_hash text NOT NULL, position_hash text NOT NULL, "
            "log_hash text NOT NULL, UNIQUE (originator_id, originator_version))").format(self.chain_table))

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
        from psycopg.sql import SQL

        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        # The events table is locked (EXCLUSIVE) by the insert, so the chain's head cannot move.
        curs.execute(SQL("SELECT log_hash FROM {} ORDER BY notification_id DESC LIMIT 1").format(self.chain_table))
        last = curs.fetchone()

        def previous_position_hash(oid, version):
            if version == 0:
                return GENESIS
            curs.execute(SQL("SELECT position_hash FROM {} WHERE originator_id=%s AND originator_version=%s")
                         .format(self.chain_table), (oid, version))
            row = curs.fetchone()
            return row["position_hash"] if row else GENESIS

        rows = chain_rows(stored_events, ids, previous_position_hash, last["log_hash"] if last else GENESIS)
        curs.executemany(SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(self.chain_table), rows)
        return ids


    def select_chain(self, after: int, limit: int) -> list[tuple]:
        from psycopg.sql import SQL

        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT notification_id, originator_id, originator_version, event_hash, position_hash, "
                             "log_hash FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
                         .format(self.chain_table), (after, limit))
            return [tuple(r.values()) for r in curs.fetchall()]
