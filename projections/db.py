"""Read-model tables (SQLAlchemy Core) in the same database as the events.

Money is 64-bit (BigInteger). Every single amount is at most MAX_KRONER (domain/money.py:
100 000 000 000 kroner, orders of magnitude above any grant; the command models refuse more), so a
column sum stays exact up to 92 million rows at the maximum (2**63 / 10**11).

The tables are created once, on first use, and upgraded in place when SCHEMA_VERSION grows
(`ensure_tables`): a report costs one small SELECT, never DDL.
"""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sqlalchemy import (BigInteger, Boolean, Column, Date, Integer, MetaData, Numeric, String, Table,
                        create_engine, event, insert, inspect, select, text)
from sqlalchemy.exc import DBAPIError

SCHEMA_VERSION = 2  # 1: money columns 32-bit on PostgreSQL; 2: BigInteger
MONEY = BigInteger

metadata = MetaData()

schema_version = Table(
    "proj_schema", metadata,
    Column("version", Integer, primary_key=True),
)

tracking = Table(
    "proj_tracking", metadata,
    Column("name", String(40), primary_key=True),
    Column("position", BigInteger, nullable=False),  # the last notification id folded in
)

positions = Table(
    "proj_positions", metadata,
    Column("position_id", String(36), primary_key=True),
    Column("ref", String(64), nullable=False, index=True),
    Column("kommunenummer", String(4), nullable=False),
    Column("office", String(40), nullable=False),
    Column("scheme", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", String(12), nullable=False),
    Column("first_year", Integer, nullable=False),
    Column("fte", Numeric(5, 2), nullable=False),
    Column("wage_cost", MONEY),
    Column("first_funded_year", Integer),
    Column("first_ladder_year", Integer),
    Column("last_funded_year", Integer),
    Column("ladder_year", Integer),
    Column("end_cause", String(12)),
    Column("end_date", Date),
    Column("version", Integer, nullable=False),
)

years = Table(
    "proj_years", metadata,
    Column("position_id", String(36), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("ref", String(64), nullable=False),
    Column("kommunenummer", String(4), nullable=False),
    Column("office", String(40), nullable=False),
    Column("scheme", String(32), nullable=False),
    Column("ladder_year", Integer, nullable=False),
    Column("fte", Numeric(5, 2), nullable=False),
    Column("rule_id", String(40), nullable=False),
    Column("granted_amount", MONEY, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("over_frame", Boolean, nullable=False),
    Column("reports", Integer, nullable=False),
    Column("spent", MONEY),
    Column("to_reclaim", MONEY),
    Column("fte_filled", Numeric(5, 2)),
    Column("self_financing", MONEY),
    Column("attested", String(8)),
    Column("report_received", Date),
)

frames = Table(
    "proj_frames", metadata,
    Column("frame_id", String(36), primary_key=True),
    Column("office", String(40), nullable=False),
    Column("scheme", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("reason", String(500)),
)

VIEW_TABLES = {"positions": (positions, years), "frames": (frames,)}


def engine_for(url: str):
    """An engine for the ledger URL; `?schema=` (PostgreSQL) becomes the search path."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA busy_timeout = 5000")
            dbapi_connection.execute("PRAGMA synchronous = FULL")

        return engine
    query = parse_qs(parts.query)
    schema = query.pop("schema", [None])[0]
    scheme = "postgresql+psycopg" if parts.scheme in ("postgresql", "postgres") else parts.scheme
    clean = urlunsplit((scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(clean, connect_args=connect_args, pool_size=2)


MONEY_COLUMNS = {"proj_positions": ["wage_cost"],
                 "proj_years": ["granted_amount", "amount", "spent", "to_reclaim", "self_financing"],
                 "proj_frames": ["amount"], "proj_tracking": ["position"]}


def ensure_tables(engine, tracked_names=()) -> None:
    """Create the read models, or upgrade them in place, unless they are current (one SELECT)."""
    if current_version(engine) == SCHEMA_VERSION:
        return
    try:
        with engine.begin() as conn:
            _create_or_upgrade(conn, tracked_names)
    except DBAPIError:
        if current_version(engine) != SCHEMA_VERSION:  # not another process doing it at once
            raise


def current_version(engine) -> int | None:
    try:
        with engine.connect() as conn:
            return conn.execute(select(schema_version.c.version)).scalar()
    except DBAPIError:  # no proj_schema table: never created, or made before versions were kept
        return None


def _create_or_upgrade(conn, tracked_names) -> None:
    if inspect(conn).has_table("proj_tracking") and conn.dialect.name == "postgresql":
        for table, columns in MONEY_COLUMNS.items():  # in place: data and grants stay
            for column in columns:
                conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bigint"))
    metadata.create_all(conn)  # SQLite's INTEGER is 64-bit already: only missing tables are made
    present = set(conn.execute(select(tracking.c.name)).scalars())
    missing = [{"name": name, "position": 0} for name in tracked_names if name not in present]
    if missing:
        conn.execute(insert(tracking), missing)
    conn.execute(schema_version.delete())
    conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
