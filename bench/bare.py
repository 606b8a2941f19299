"""The bare baseline: the same number of aggregates and events saved and read with eventsourcing
alone, on its fastest persistence module for the engine (eventsourcing.sqlite / eventsourcing.postgres)."""

from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Mapper, Transcoding, UUIDAsHex


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj):
        return obj.isoformat()

    def decode(self, data):
        return date.fromisoformat(data)


class Position(Aggregate):
    """Ten events with payloads like the ledger's (ints, a Decimal, dates, strings)."""

    @event("Applied")
    def __init__(self, ref: str, kommunenummer: str, fte: Decimal, first_year: int, received: date, actor: str):
        self.ref, self.fte, self.years, self.ended = ref, fte, {}, None

    @event("Funded")
    def fund(self, year: int, ladder_year: int, fte: Decimal, rate: int, amount: int, rule_id: str,
             actor: str, effective: date):
        self.years[year] = amount

    @event("Reported")
    def report(self, year: int, spent: int, to_reclaim: int, actor: str, effective: date):
        pass

    @event("Terminated")
    def terminate(self, cause: str, reason: str, actor: str, effective: date):
        self.ended = effective


class Bare(Application):
    name = "Bare"

    def register_transcodings(self, transcoder):
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def bare_env(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": url.split("://", 1)[1][1:]}
    return {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": parts.path.lstrip("/"),
            "POSTGRES_HOST": parts.hostname, "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": parts.username or "", "POSTGRES_PASSWORD": parts.password or "",
            **({"POSTGRES_SCHEMA": parts.query.split("schema=")[1]} if "schema=" in parts.query else {})}


def bare_write(url: str, positions: int, per_save: int = 200) -> int:
    """Create `positions` aggregates of 10 events each (the lifecycle of bench/data.py) and save
    them `per_save` aggregates at a time (the issue's baseline: batches of 200); returns events saved."""
    app = Bare(bare_env(url))
    aggregates = []
    for i in range(positions):
        p = Position(ref=f"B{i:07d}", kommunenummer="3401", fte=Decimal("1.00"), first_year=2021,
                     received=date(2021, 2, 1), actor="bench")
        p.fund(2021, 1, Decimal("1.00"), 660000, 660000, "765.62/ladder-2017", "bench", date(2021, 3, 1))
        for year in (2022, 2023, 2024):
            p.fund(year, year - 2020, Decimal("1.00"), 330000, 330000, "r", "bench", date(year, 3, 1))
        for year in (2021, 2022, 2023, 2024):
            p.report(year, 300000, 30000, "bench", date(year + 1, 2, 10))
        p.terminate("wound-down", "overgangsordningen er slutt", "bench", date(2024, 12, 31))
        aggregates.append(p)
        if len(aggregates) == per_save:
            app.save(*aggregates)
            aggregates = []
    if aggregates:
        app.save(*aggregates)
    app.close()
    return positions * 10


def library_mapper() -> Mapper:
    """The library's own mapper and JSON transcoder, with the ledger's date type: what reading the
    ledger's log costs with eventsourcing alone (the ledger reads it through orjson, same bytes)."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder)


def bare_read(recorder, mapper, page: int = 1000) -> int:
    """Read and decode every event of a log, page by page; returns the number read."""
    count, after = 0, 0
    while True:
        found = recorder.select_notifications(start=after, limit=page, inclusive_of_start=False)
        for notification in found:
            mapper.to_domain_event(notification)
        count += len(found)
        if len(found) < page:
            return count
        after = found[-1].id
