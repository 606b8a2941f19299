"""The ledger's two time axes, asked separately or together (docs/audit.md, "Two time axes").

Every event has a **recorded time** (`timestamp`, UTC: when the ledger learnt of it) and a
**business date** (`effective`: the date an application was received, a decision taken, a
reduction or termination takes effect, a report was received; an event without one, such as a
budget frame, takes effect on the day it was recorded, Norwegian time).

- known-at T: only events recorded at or before T (the log as it stood then, in recording order);
- in-force D: only events whose business date is on or before D, as far as they are known;
- both: the events known at T that were in force on D.

Leaving events out must still give a history that folds: an event is in force only when the
events it builds on are (a reduction or report of a year needs that year's grant, an advance the
year before it, anything the position's application). Amounts are those the events recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import CanInitAggregate


@dataclass(frozen=True)
class TimeCut:
    """Where to cut the log on each axis; None on an axis means "as known today, everything"."""

    known_at: datetime | None = None
    in_force: date | None = None

    @property
    def is_now(self) -> bool:
        return self.known_at is None and self.in_force is None

    def judged_on(self, today: date) -> date:
        """The day deadlines are judged on under this cut: the in-force day, else the day of the
        known-at moment, else today (a report of 1 March 2023 judged what was late then)."""
        if self.in_force is not None:
            return self.in_force
        if self.known_at is not None:
            return self.known_at.date()
        return today

    def describe(self) -> dict[str, Any]:
        return {"known_at": self.known_at, "in_force": self.in_force}


def recorded_day(domain_event: Any) -> date:
    """The Norwegian calendar day an event was recorded on."""
    try:
        from zoneinfo import ZoneInfo

        return domain_event.timestamp.astimezone(ZoneInfo("Europe/Oslo")).date()
    except Exception:  # noqa: BLE001 - no tz database on the machine: the UTC day
        return domain_event.timestamp.date()


def business_date(domain_event: Any) -> date:
    """The date an event takes effect: its `effective` date, else the day it was recorded."""
    effective = getattr(domain_event, "effective", None)
    return effective if isinstance(effective, date) else recorded_day(domain_event)


class InForce:
    """Decides, event by event in log order, which events were in force on `day`.

    Kept per aggregate: whether its creation is in force and which funded years are, so that
    every kept history is a valid fold (see the module docstring).
    """

    def __init__(self, day: date):
        # Imported here, once per cut: a report that is not cut in time never builds these classes.
        from grants.domain.position import GrantPosition

        self.day = day
        self.created: set[Any] = set()
        self.funded: dict[Any, set[int]] = {}
        self.position_events = GrantPosition

    def keep(self, domain_event: Any) -> bool:
        oid = domain_event.originator_id
        if business_date(domain_event) > self.day:
            return False
        if isinstance(domain_event, CanInitAggregate):
            self.created.add(oid)
            self.funded[oid] = set()
            return True
        if oid not in self.created:
            return False
        year = getattr(domain_event, "year", None)
        if not isinstance(year, int):
            return True  # builds on the creation only (a rejection, termination, frame revision)
        funded = self.funded[oid]
        events = self.position_events
        if isinstance(domain_event, events.YearAdvanced):
            needed: int | None = year - 1
        elif isinstance(domain_event, events.Granted):
            needed = None
        else:  # a reduction, report or other event about one funded year
            needed = year
        if needed is not None and needed not in funded:
            return False
        if isinstance(domain_event, events._Funding):
            funded.add(year)
        return True


def known_at(events: list, moment: datetime | None) -> list:
    """The events of one aggregate recorded at or before `moment` (all of them for None)."""
    if moment is None:
        return list(events)
    kept = []
    for domain_event in events:
        if domain_event.timestamp > moment:
            break
        kept.append(domain_event)
    return kept


def cut_events(events: list, cut: TimeCut) -> list:
    """One aggregate's events (in version order) as seen under the cut."""
    kept = known_at(events, cut.known_at)
    if cut.in_force is not None:
        in_force = InForce(cut.in_force)
        kept = [e for e in kept if in_force.keep(e)]
    return kept


def replay(events: list) -> Iterator[tuple[Any, Any]]:
    """(event, state after it) for each event of a kept history; the state is one object
    changed in place, so use it before asking for the next.

    Events left out by the in-force cut leave gaps in the version numbers, so this applies each
    event itself rather than through the library's `mutate` (which insists on consecutive
    versions); the state's version is that of the last event kept."""
    state = None
    for domain_event in events:
        if state is None:
            state = domain_event.mutate(None)
        else:
            domain_event.apply(state)
            state.version = domain_event.originator_version
            state.modified_on = domain_event.timestamp
        yield domain_event, state


def fold(events: list) -> Any:
    """The aggregate rebuilt from a kept history (None for no events)."""
    state = None
    for _, after in replay(events):
        state = after
    return state


def last_id_known_at(ledger: Any, moment: datetime, page: int = 1000) -> int:
    """The id of the last event of the log's prefix recorded at or before `moment`."""
    last, after = 0, 0
    while True:
        found = ledger.recorder.select_log(after, page)
        for notification in found:
            if ledger.mapper.to_domain_event(notification).timestamp > moment:
                return last
            last = notification.id
        if len(found) < page:
            return last
        after = found[-1].id


class CutLog:
    """The ledger's log under a cut: a read-only source for replaying the read models
    (grants.projections.runner.Runner), with the same `head` and `read_log` as the ledger."""

    def __init__(self, ledger: Any, cut: TimeCut, page: int = 1000):
        self.ledger, self.cut, self.page = ledger, cut, page
        self.stop = ledger.head() if cut.known_at is None else last_id_known_at(ledger, cut.known_at, page)
        self.in_force = InForce(cut.in_force) if cut.in_force is not None else None

    def head(self) -> int:
        return self.stop

    def read_log(self, after: int, limit: int, stop: int, topics: tuple = ()) -> list[tuple[int, Any]]:
        """Up to `limit` kept events after id `after`; fewer only when the cut log is exhausted
        (the runner takes a short batch to mean "done")."""
        stop = min(stop, self.stop)
        if self.in_force is None:
            return self.ledger.read_log(after, limit, stop, topics)
        kept: list[tuple[int, Any]] = []
        while True:
            batch = self.ledger.read_log(after, self.page, stop, topics)
            for notification_id, domain_event in batch:
                if self.in_force.keep(domain_event):
                    kept.append((notification_id, domain_event))
                    if len(kept) == limit:
                        return kept
            if len(batch) < self.page:
                return kept
            after = batch[-1][0]

