"""Read-model tables (SQLAlchemy Core) in the same database as the events."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sqlalchemy import (Boolean, Column, Date, Integer, MetaData, Numeric, String, Table,
                        create_engine, event)

metadata = MetaData()

tracking = Table(
    "proj_tracking", metadata,
    Column("name", String(40), primary_key=True),
    Column("position", Integer, nullable=False),  # the last notification id folded in
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
    Column("wage_cost", Integer),
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
    Column("granted_amount", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("over_frame", Boolean, nullable=False),
    Column("reports", Integer, nullable=False),
    Column("spent", Integer),
    Column("to_reclaim", Integer),
    Column("fte_filled", Numeric(5, 2)),
    Column("self_financing", Integer),
    Column("attested", String(8)),
    Column("report_received", Date),
)

frames = Table(
    "proj_frames", metadata,
    Column("frame_id", String(36), primary_key=True),
    Column("office", String(40), nullable=False),
    Column("scheme", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
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


def create_tables(engine) -> None:
    metadata.create_all(engine)
    from grants.projections.views import create_views  # the reporting contract, over these tables

    create_views(engine)
