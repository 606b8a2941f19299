"""Read-model tables (SQLAlchemy Core) in the same database as the events.

Money is 64-bit (BigInteger). Every single amount is at most MAX_KRONER (domain/money.py:
100 000 000 000 kroner, orders of magnitude above any grant; the command models refuse more), so a
column sum stays exact up to 92 million rows at the maximum (2**63 / 10**11).

The tables are created once, on first use, and upgraded in place when SCHEMA_VERSION grows
(`ensure_tables`): a report costs one small SELECT, never DDL.
"""

from functools import cache
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from grants.projections.current import wanted_state

MONEY = BigInteger

metadata = MetaData()

schema_version = Table(
    "proj_schema", metadata,
    Column("version", Integer, primary_key=True),
    Column("reference", String(64)),  # fingerprint of the rules data copied into proj_scheme_years
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
    # issue 10: application date, permanence plan and non-salary costs
    Column("received", Date),
    Column("permanence_plan", Boolean),
    Column("other_costs", MONEY),
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
    # issue 10: discretion, wage cost, entitlement and carry-over (to_reclaim above is derived from these)
    Column("rule_amount", MONEY),
    Column("wage_cost", MONEY),
    Column("paid", MONEY),
    Column("entitlement", MONEY),
    Column("carried_in", MONEY, nullable=False, default=0),
    Column("carried_out", MONEY, nullable=False, default=0),
    Column("own_money", MONEY),
    Column("advanced_unreported", Integer),  # the previous funded year, when advanced with no report for it
)
# The totals of `funding`, `frames` and `winddown` read these columns only: scanning this index
# instead of the wide rows is 4-5 times faster (400,000 year rows at a million events: ~0.35 s
# to ~0.08 s on SQLite), for one more index to keep up while folding.
Index("ix_proj_years_totals", years.c.year, years.c.office, years.c.scheme, years.c.amount, years.c.fte,
      years.c.spent, years.c.to_reclaim, years.c.over_frame)


def needs_attention(y):
    """Year rows `compliance` may report on whatever the deadlines say: advanced without a report,
    unreported, with costs or self-financing to weigh, or money to reclaim. The condition of
    `attention_index`, so written with literals: a query repeating it word for word is one the
    planners (SQLite, PostgreSQL) prove may use that index."""
    zero = literal_column("0")
    return or_(y.c.advanced_unreported.is_not(None), y.c.reports == zero, y.c.wage_cost.is_not(None),
               y.c.self_financing.is_not(None), y.c.to_reclaim != zero)


# `compliance` finds the years it checks through two indexes instead of reading all 400,000 year
# rows (at a million events; a well-kept ledger has few to check): each year and scheme's rows
# (which attestation they need) and their reports by the day received (reported late: after a
# deadline), and the rows needing attention (`attention_index`). Year first, as in the totals
# index: SQLite, without statistics, picks the index matching the most conditions, and one led
# by scheme took over `winddown`'s `scheme = ? AND year >= ?` from the covering totals index
# (0.57 s to 0.72 s at a million events).
Index("ix_proj_years_reported", years.c.year, years.c.scheme, years.c.report_received)


@cache
def attention_index() -> Index:
    """The year rows needing attention (`needs_attention`): a partial index, as small as they are
    few. Made when the tables are made or upgraded, not at import: naming its condition for
    SQLite and PostgreSQL (sqlite_where, postgresql_where) makes SQLAlchemy import both dialects'
    modules, ~45 ms that every command would pay."""
    return Index("ix_proj_years_attention", years.c.position_id,
                 sqlite_where=needs_attention(years), postgresql_where=needs_attention(years))


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

appropriations = Table(
    "proj_appropriations", metadata,
    Column("appropriation_id", String(36), primary_key=True),
    Column("scheme", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("reason", String(500)),
)

VIEW_TABLES = {"positions": (positions, years), "frames": (frames, appropriations)}


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


# The oldest layout this version still reads right: versions 4 and 5 only added indexes, so a
# login that may not write (a reporting login) keeps reporting from version-3 tables until a
# writer's next command upgrades them, instead of failing.
READABLE_FROM = 3


def ensure_tables(engine, tracked_names=()) -> None:
    """Create the read models and the reporting views, or upgrade them in place, unless they are
    current: the layout version and the reference data they were made with (one SELECT)."""
    found = current_state(engine)
    if found == wanted_state():
        return
    try:
        with engine.begin() as conn:
            _create_or_upgrade(conn, tracked_names)
    except DBAPIError as error:
        if current_state(engine) == wanted_state():  # another process did it at the same time
            return
        if found is not None and found[0] >= READABLE_FROM and found[1] == wanted_state()[1] and cannot_write(error):
            return
        raise


def cannot_write(error: BaseException) -> bool:
    """True for the database's "this login may not write" (PostgreSQL 42501 or a read-only
    session, a read-only SQLite file): by SQLSTATE and result code (grants.ledger.storage)."""
    from grants.domain.errors import NotAllowed
    from grants.ledger.storage import translate

    return isinstance(translate(error), NotAllowed)


def current_state(engine) -> tuple[int, str] | None:
    try:
        with engine.connect() as conn:
            row = conn.execute(select(schema_version.c.version, schema_version.c.reference)).first()
    except DBAPIError:  # no proj_schema table (never created, made before versions were kept) or column
        return None
    return (row[0], row[1]) if row else None


def current_version(engine) -> int | None:
    state = current_state(engine)
    return state[0] if state else None


def _create_or_upgrade(conn, tracked_names) -> None:
    """Upgrade in place, so data and the GRANTs of reporting logins stay: widen money columns
    (PostgreSQL), add columns a newer version folds; the rows then are folded again from the log."""
    from grants.projections.views import create_views, drop_views

    drop_views(conn)  # PostgreSQL refuses to change a column a view reads; they are made again below
    found = inspect(conn)
    if found.has_table("proj_tracking") and conn.dialect.name == "postgresql":
        for table, columns in MONEY_COLUMNS.items():
            for column in columns:
                conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bigint"))
    added = _add_missing_columns(conn, found)
    attention_index()  # on its table from now on, so made with it, or added to it below
    metadata.create_all(conn)  # SQLite's INTEGER is 64-bit already: only missing tables are made
    for table in metadata.sorted_tables:  # indexes a newer version added to existing tables
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    if added:  # rows folded by an earlier version lack the new columns: fold the whole log again
        for table in reversed(metadata.sorted_tables):
            if table not in (tracking, schema_version):
                conn.execute(table.delete())
        conn.execute(tracking.update().values(position=0))
    present = set(conn.execute(select(tracking.c.name)).scalars())
    missing = [{"name": name, "position": 0} for name in tracked_names if name not in present]
    if missing:
        conn.execute(insert(tracking), missing)
    create_views(conn)
    version, reference = wanted_state()
    conn.execute(schema_version.delete())
    conn.execute(insert(schema_version).values(version=version, reference=reference))


def _add_missing_columns(conn, found) -> bool:
    """Add the columns this version's tables have and the existing ones lack (nullable)."""
    added = False
    for table in metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
                added = True
    return added
