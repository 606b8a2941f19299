"""Appropriation: the national bevilgning for one scheme and year, above the offices' frames.

Helsedirektoratet divides the appropriation into frames per Statsforvalter office, and the offices
grant within their frames. The ledger records the appropriation as its own aggregate so that the
frames report can show the sum of the frames against it; revising it is a new event, never an edit.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from grants.domain.actor import current_actor
from grants.domain.event_type import FrozenEvent
from grants.domain.ids import appropriation_id


class Appropriation(Aggregate):
    TOPIC = "domain.appropriation:Appropriation"  # a stable name stored with every event; never change it

    # The events derive from the aggregate's own base event (see GrantPosition): built once, not twice.
    class Event(Aggregate.Event, metaclass=FrozenEvent):
        TOPIC = "domain.appropriation:Appropriation.Event"  # a base: no event of this class is stored

    class Created(Aggregate.Created, Event):  # the library's base creation event
        TOPIC = "domain.appropriation:Appropriation.Created"

    class AppropriationSet(Aggregate.Created, Event):
        TOPIC = "domain.appropriation:Appropriation.AppropriationSet"
        scheme: str
        year: int
        amount: int
        actor: str
        reason: str | None

    class AppropriationRevised(Event):
        TOPIC = "domain.appropriation:Appropriation.AppropriationRevised"
        amount: int
        actor: str
        reason: str | None

        def apply(self, aggregate: Appropriation) -> None:
            aggregate.amount = self.amount

    @staticmethod
    def create_id(scheme: str, year: int) -> UUID:
        return appropriation_id(scheme, year)

    @classmethod
    def record(cls, *, scheme: str, year: int, amount: int, reason: str | None = None) -> Appropriation:
        return cls(scheme=scheme, year=year, amount=amount, actor=current_actor.get(), reason=reason)

    @event(AppropriationSet)
    def __init__(self, scheme: str, year: int, amount: int, actor: str, reason: str | None):
        self.scheme, self.year = scheme, year
        self.amount = amount

    def revise(self, *, amount: int, reason: str | None = None) -> None:
        self.trigger_event(self.AppropriationRevised, amount=amount, actor=current_actor.get(), reason=reason)
