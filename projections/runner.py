"""Catch-up and rebuild: fold the event log into the read models, batch by batch.

Each batch writes its rows and the projection's tracking position in one transaction, and the
tracking update is a compare-and-set, so a crash loses nothing and two processes catching up at
once never fold an event twice (the loser rolls back and retries from the new position).
"""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from grants.domain.errors import VerificationFailed
from grants.ledger.gc_pause import collector_paused
from grants.projections import db
from grants.projections.fold import PositionRows, fold_appropriation, fold_frame, fold_position

Progress = Callable[[str, int, "int | None"], None]  # (stage, done, total), e.g. a progress bar of the CLI
BATCH = 1000  # events per batch; reading 100k events: PostgreSQL 1.9 s at 1000, 2.4 s at 2000; SQLite alike


class TrackingMoved(Exception):
    """Another process advanced the projection while this batch was folded."""


@dataclass(frozen=True)
class Projection:
    name: str
    topics: Callable[[], tuple[str, ...]]  # asked only when there are events to fold (see below)
    # (connection, [(id, event)], emptied) -> None; `emptied`: the tables were emptied in this
    # transaction (a rebuild), so the aggregates created in this batch have no rows to replace
    write: Callable


def _write_positions(conn, batch, emptied: bool = False) -> None:
    # Each event's position as text, made once per position: str(UUID) was a tenth of the fold.
    names: dict[int, str] = {}
    keys = []
    for _, e in batch:
        key = names.get(e.originator_id.int)
        if key is None:
            key = names[e.originator_id.int] = str(e.originator_id)
        keys.append(key)
    ids = sorted(set(keys))
    rows = {pid: PositionRows() for pid in ids}
    # A position applied for in this batch has no rows yet: only the others are read (in a
    # rebuild of a log written position by position, one or two per batch).
    applied = {key for key, (_, e) in zip(keys, batch, strict=True) if e.originator_version == 1}
    earlier = [pid for pid in ids if pid not in applied]
    if earlier:
        for row in conn.execute(select(db.positions).where(db.positions.c.position_id.in_(earlier))).mappings():
            rows[row["position_id"]].position = dict(row)
        for row in conn.execute(select(db.years).where(db.years.c.position_id.in_(earlier))).mappings():
            rows[row["position_id"]].years[row["year"]] = dict(row)
    for key, (_, domain_event) in zip(keys, batch, strict=True):
        fold_position(rows[key], domain_event)
    # Every touched position's rows are replaced, also those applied in this batch (they have none
    # unless a tracking position was reset behind the tables): folding a batch twice stays safe.
    # In a rebuild they have none for certain, and deleting them was a tenth of it on PostgreSQL.
    replaced = earlier if emptied else ids
    if replaced:
        conn.execute(delete(db.years).where(db.years.c.position_id.in_(replaced)))
        conn.execute(delete(db.positions).where(db.positions.c.position_id.in_(replaced)))
    insert_many(conn, db.positions, [r.position for r in rows.values()])
    insert_many(conn, db.years, [y for r in rows.values() for y in r.years.values()])


def insert_many(conn, table, rows: list[dict]) -> None:
    """Insert rows that name every column of `table`, in bulk, through the driver: SQLAlchemy's
    own per-row parameter handling was a third of a rebuild's writing on SQLite (executemany,
    each value through its column type's bind processor, as SQLAlchemy would) and over half of it
    on PostgreSQL (COPY, which psycopg feeds with the Python values as they are)."""
    if not rows:
        return
    columns = [column.name for column in table.columns]
    cells = itemgetter(*columns)
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{name}"' for name in columns)
        with (conn.connection.driver_connection.cursor() as cursor,  # the same transaction
              cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)') as copy):
            copy.set_types(_sql_types(table))
            for row in rows:
                copy.write_row(cells(row))
        return
    processors = [(i, p) for i, column in enumerate(table.columns)
                  if (p := column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)) is not None]
    # Column by column, each distinct value processed once (a batch's rows share a few dates, FTEs
    # and booleans): the processors give equal values equal results, so the rows are the same.
    by_column = list(zip(*map(cells, rows), strict=True))
    for i, process in processors:
        done: dict = {}
        by_column[i] = [done[v] if v in done else done.setdefault(v, process(v)) for v in by_column[i]]
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         list(zip(*by_column, strict=True)))


@cache
def _sql_types(table) -> list[str]:
    """Each column's PostgreSQL type (`integer`, `numeric`, `varchar`, ...), for a binary COPY: the
    server reads the values as they are rather than parsing their text (the rows' insert was over
    half of a rebuild on PostgreSQL)."""
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    return [column.type.compile(dialect=dialect).partition("(")[0].lower() for column in table.columns]


def _write_frames(conn, batch, emptied: bool = False) -> None:
    """Frames and the appropriations above them (one projection: both are budget money)."""
    from grants.domain.appropriation import Appropriation  # built only when there are events to fold

    is_appropriation = [isinstance(e, (Appropriation.AppropriationSet, Appropriation.AppropriationRevised))
                        for _, e in batch]
    appropriations = [item for item, yes in zip(batch, is_appropriation, strict=True) if yes]
    frames = [item for item, yes in zip(batch, is_appropriation, strict=True) if not yes]
    for table, key_column, fold, events in ((db.frames, "frame_id", fold_frame, frames),
                                            (db.appropriations, "appropriation_id", fold_appropriation,
                                             appropriations)):
        if not events:
            continue
        ids = sorted({str(e.originator_id) for _, e in events})
        rows = {r[key_column]: dict(r) for r in
                conn.execute(select(table).where(table.c[key_column].in_(ids))).mappings()}
        for _, domain_event in events:
            key = str(domain_event.originator_id)
            rows[key] = fold(rows.get(key), domain_event)
        conn.execute(delete(table).where(table.c[key_column].in_(ids)))
        conn.execute(insert(table), list(rows.values()))


# The topics come from the event classes, built when first asked: a report on read models that
# are up to date never builds the aggregates' classes.
@cache
def position_topics() -> tuple[str, ...]:
    from grants.domain.position import GrantPosition

    return tuple(getattr(GrantPosition, n).TOPIC for n in
                 ("Applied", "Granted", "YearAdvanced", "FteReduced", "Reported", "Rejected", "Terminated",
                  "CarriedOver", "KommuneChanged"))


@cache
def frame_topics() -> tuple[str, ...]:
    from grants.domain.appropriation import Appropriation
    from grants.domain.frame import BudgetFrame

    return (BudgetFrame.FrameSet.TOPIC, BudgetFrame.FrameRevised.TOPIC,
            Appropriation.AppropriationSet.TOPIC, Appropriation.AppropriationRevised.TOPIC)


PROJECTIONS = (
    Projection("positions", position_topics, _write_positions),
    Projection("frames", frame_topics, _write_frames),
)


class Runner:
    """Folds the log of `source` (a GrantsLedger) into the tables of `engine`."""

    def __init__(self, engine, source):
        self.engine, self.source = engine, source
        db.ensure_tables(engine, [projection.name for projection in PROJECTIONS])

    def tracked(self) -> dict[str, int]:
        """Each projection's tracking position: the last notification id folded in."""
        with self.engine.connect() as conn:
            return dict(conn.execute(select(db.tracking.c.name, db.tracking.c.position)).all())

    def catch_up(self, *, batch: int = BATCH, progress: Progress | None = None) -> int:
        """Fold every event up to the current head; returns the number of events folded.
        Refuses (exit 7) when a projection claims more than the log holds. `progress` is called as
        (projection name, position in the log, head) after each batch."""
        tracked = self.tracked()  # before the head: the head only grows, so honest tables are never ahead
        head = self.source.head()
        refuse_ahead(tracked, head)
        if all(position >= head for position in tracked.values()):
            return 0  # already current: no lock, no write (a read-only login can report)
        folded = 0
        with collector_paused() as tick:  # a backlog folds like a rebuild: see grants.ledger.gc_pause
            for projection in PROJECTIONS:
                folded += self._catch_up_one(projection, head, batch, progress, tick)
        return folded

    def _catch_up_one(self, projection: Projection, head: int, batch: int, progress: Progress | None,
                      tick: Callable[[], None]) -> int:
        """Fold one projection up to `head`, one transaction per batch."""
        folded, done = 0, False
        while not done:
            tick()
            try:
                with self.engine.begin() as conn:
                    by_key(conn)
                    done, count, position = self._step(conn, projection, head, batch)
            except (TrackingMoved, IntegrityError):  # another process folded this batch first
                continue
            folded += count
            if progress is not None:
                progress(projection.name, position, head)
        return folded

    def _step(self, conn, projection: Projection, head: int, batch: int) -> tuple[bool, int, int]:
        """Fold one batch and move the tracking position, in the caller's transaction; returns
        (done, events folded, the new position)."""
        # FOR UPDATE serialises catch-ups on PostgreSQL; SQLite serialises writers itself and
        # the compare-and-set below catches a position that moved meanwhile.
        start = conn.execute(select(db.tracking.c.position).with_for_update()
                             .where(db.tracking.c.name == projection.name)).scalar_one()
        if start >= head:
            return True, 0, start
        events = self.source.read_log(start, batch, head, projection.topics())
        done = len(events) < batch
        new_position = head if done else events[-1][0]
        if events:
            projection.write(conn, events)
        moved = conn.execute(update(db.tracking)
                             .where(db.tracking.c.name == projection.name, db.tracking.c.position == start)
                             .values(position=new_position))
        if moved.rowcount != 1:
            raise TrackingMoved()
        return done, len(events), new_position

    def rebuild(self, *, batch: int = BATCH, progress: Progress | None = None) -> int:
        """Empty every read model and fold the whole log again, streaming in batches, in one
        transaction: readers keep seeing the old tables until the new ones are complete (MVCC on
        PostgreSQL, WAL snapshots on SQLite), never empty or half-built ones."""
        head, folded = self.source.head(), 0
        with collector_paused() as tick, self.engine.begin() as conn:  # rows live briefly: see grants.ledger.gc_pause
            by_key(conn)
            for tables in db.VIEW_TABLES.values():
                for table in tables:
                    conn.execute(delete(table))
            # Locks every tracking row until the commit (on PostgreSQL; SQLite's writer lock is
            # the database's): a catch-up meanwhile waits, then finds the log folded.
            conn.execute(update(db.tracking).values(position=0))
            # SQLite: the reports' indexes of the year rows (and the positions' by ref) are built
            # once at the end rather than kept up row by row (the covering one was a sixth of a
            # rebuild). Its readers keep their WAL snapshot, indexes and all. On PostgreSQL
            # dropping them would make every reader wait for the rebuild: they stay.
            rebuilt = [*db.years.indexes, *db.positions.indexes] if conn.dialect.name == "sqlite" else []
            for index in rebuilt:
                index.drop(conn)
            for projection in PROJECTIONS:
                pages = self._pages(projection, head, batch)
                for events in read_ahead(pages) if conn.dialect.name == "postgresql" else pages:
                    tick()
                    if events:
                        projection.write(conn, events, emptied=True)
                    folded += len(events)
                    if progress is not None:
                        progress(projection.name, head if len(events) < batch else events[-1][0], head)
                conn.execute(update(db.tracking).where(db.tracking.c.name == projection.name).values(position=head))
            for index in rebuilt:
                index.create(conn)
        return folded

    def _pages(self, projection: Projection, head: int, batch: int) -> Iterator[list]:
        """The projection's events up to `head`, `batch` at a time; the last page is short
        (maybe empty)."""
        after = 0
        while True:
            events = self.source.read_log(after, batch, head, projection.topics())
            yield events
            if len(events) < batch:
                return
            after = events[-1][0]


def read_ahead(pages: Iterator[list]) -> Iterator[list]:
    """The pages of `pages`, the next one read in a thread while the caller folds and writes
    this one. For PostgreSQL, whose work on both sides happens in the server's process while the
    waiting client releases the GIL (a rebuild of 1M events ~50 s -> ~38 s when the machine had
    a CPU free: docs/performance.md). Not for SQLite: its reads in one thread and writes in the
    other fought over the GIL, a rebuild was slower. Two pages at most are held, so memory stays
    flat."""
    with ThreadPoolExecutor(1, thread_name_prefix="grants-read-ahead") as reader:
        ahead = reader.submit(next, pages, None)
        while (page := ahead.result()) is not None:
            ahead = reader.submit(next, pages, None)
            yield page


def by_key(conn) -> None:
    """On PostgreSQL, look the batch's rows up by their keys for the rest of this transaction.

    A rebuild empties the tables and refills them in one transaction, which no ANALYZE sees: the
    planner keeps believing the tables tiny and reads and deletes each batch's positions with a
    sequential scan of everything folded so far, so the rebuild grew with the square of the log
    (a million events ran for more than 15 minutes). The primary keys serve every such lookup."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")


def refuse_ahead(tracked: dict[str, int], head: int) -> None:
    """A tracking position beyond the head means the tables were edited or the log was cut."""
    from grants.domain.i18n import _  # here: the module's loops use `_` for notification ids

    ahead = {name: position for name, position in sorted(tracked.items()) if position > head}
    if ahead:
        named = ", ".join(_("{name} at {position}").format(name=repr(name), position=position)
                          for name, position in ahead.items())
        raise VerificationFailed("projections: " + _(
            "{named}, ahead of the log's head {head}: the read models were edited or the log was cut "
            "(grants verify; grants projections check)").format(named=named, head=head))
