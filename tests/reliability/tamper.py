"""Direct access to the stored rows, as someone with database access (not the ledger) would have."""

import sqlite3
from urllib.parse import parse_qs, urlsplit

from grants.ledger.chain import CHAIN_TABLE, GENESIS, event_hash, log_link, sha


class Tamper:
    def __init__(self, url: str):
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            self.events, self.id = "stored_events", "rowid"
            self.p = "?"
        else:
            import psycopg

            parts = urlsplit(url)
            schema = parse_qs(parts.query)["schema"][0]
            plain = url.split("?")[0].replace("postgresql+psycopg://", "postgresql://")
            self.conn = psycopg.connect(plain, autocommit=True, options=f"-csearch_path={schema}")
            self.events, self.id = "grants_events", "notification_id"
            self.p = "%s"

    def sql(self, statement: str, params=()):
        cursor = self.conn.execute(statement.replace("?", self.p), params)
        return cursor.fetchall() if cursor.description else None

    def rows(self):
        return self.sql(f"SELECT {self.id}, originator_id, originator_version, topic, state FROM {self.events} "
                        f"ORDER BY {self.id}")

    def set_state(self, nid: int, state: bytes):
        self.sql(f"UPDATE {self.events} SET state=? WHERE {self.id}=?", (state, nid))

    def delete(self, nid: int):
        self.sql(f"DELETE FROM {self.events} WHERE {self.id}=?", (nid,))

    def swap(self, a: int, b: int):
        self.sql(f"UPDATE {self.events} SET {self.id}=? WHERE {self.id}=?", (-1, a))
        self.sql(f"UPDATE {self.events} SET {self.id}=? WHERE {self.id}=?", (a, b))
        self.sql(f"UPDATE {self.events} SET {self.id}=? WHERE {self.id}=?", (b, -1))

    def insert(self, oid, version: int, topic: str, state: bytes):
        oid = oid.hex if self.sqlite and not isinstance(oid, str) else oid
        self.sql(f"INSERT INTO {self.events} (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
                 (oid, version, topic, state))

    def insert_at(self, nid: int, oid, version: int, topic: str, state: bytes):
        """An event row at a chosen id (e.g. -1, below the log), with no chain row."""
        oid = oid.hex if self.sqlite and not isinstance(oid, str) else oid
        self.sql(f"INSERT INTO {self.events} ({self.id}, originator_id, originator_version, topic, state) "
                 "VALUES (?, ?, ?, ?, ?)", (nid, oid, version, topic, state))

    def forge_append(self, oid, version: int, topic: str, state: bytes, mac=None) -> int:
        """Append an event and a chain row that links correctly (the hashes are public), as a
        forger with row access but without the chain key would; returns its id."""
        self.insert(oid, version, topic, state)
        nid = self.rows()[-1][0]
        key = oid.hex if hasattr(oid, "hex") and not isinstance(oid, str) else str(oid)
        [(previous_log, login)] = self.sql(f"SELECT log_hash, login FROM {CHAIN_TABLE} "
                                           "ORDER BY notification_id DESC LIMIT 1")
        [(previous_position,)] = self.sql(f"SELECT position_hash FROM {CHAIN_TABLE} WHERE originator_id=? "
                                          "AND originator_version=?", (key, version - 1))
        e_hash = event_hash(oid, version, topic, state)
        self.sql(f"INSERT INTO {CHAIN_TABLE} (notification_id, originator_id, originator_version, event_hash, "
                 "position_hash, log_hash, login, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (nid, key, version, e_hash, sha(previous_position, e_hash),
                  log_link(previous_log, nid, e_hash, login), login, mac))
        return nid

    def rewrite_chain(self):
        """Recompute every chain row from the (tampered) events, as a careful forger would
        (keeping each row's recorded login, which PostgreSQL's trigger sets to this same login)."""
        logins = dict(self.sql(f"SELECT notification_id, login FROM {CHAIN_TABLE}"))
        self.sql(f"DELETE FROM {CHAIN_TABLE}")
        log, positions = GENESIS, {}
        for nid, oid, version, topic, state in self.rows():
            key = oid.hex if hasattr(oid, "hex") and not isinstance(oid, str) else str(oid)
            e_hash = event_hash(oid, version, topic, bytes(state))
            positions[key] = sha(positions.get(key, GENESIS), e_hash)
            log = log_link(log, nid, e_hash, logins.get(nid))
            self.sql(f"INSERT INTO {CHAIN_TABLE} (notification_id, originator_id, originator_version, event_hash, "
                     "position_hash, log_hash, login) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (nid, key, version, e_hash, positions[key], log, logins.get(nid)))

    def close(self):
        self.conn.close()
