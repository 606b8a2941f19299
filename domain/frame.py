"""BudgetFrame: an office's budget frame for one scheme and year.

The frame is its own aggregate and the consistency boundary for the frame check: a grant,
advance or reduction in an office with a frame is saved together with the frame's commitment,
so two caseworkers granting at once cannot both pass the check (the loser re-runs, exit 3).
A grant saved while no frame exists asserts, in its own transaction, that none was set meanwhile;
`frame set` asserts that nothing was recorded since it summed the grants (grants.ledger.application).
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from grants.domain.actor import current_actor
from grants.domain.errors import InvalidInput, RuleRefused
from grants.domain.event_type import FrozenEvent
from grants.domain.i18n import _
from grants.domain.ids import frame_id
from grants.domain.money import format_kroner


class BudgetFrame(Aggregate):
    TOPIC = "domain.frame:BudgetFrame"  # a stable name stored with every event; never change it

    # The events derive from the aggregate's own base event (see GrantPosition): built once, not twice.
    class Event(Aggregate.Event, metaclass=FrozenEvent):
        TOPIC = "domain.frame:BudgetFrame.Event"  # a base: no event of this class is stored

    class Created(Aggregate.Created, Event):  # the library's base creation event
        TOPIC = "domain.frame:BudgetFrame.Created"

    class FrameSet(Aggregate.Created, Event):
        TOPIC = "domain.frame:BudgetFrame.FrameSet"
        office: str
        scheme: str
        year: int
        amount: int
        committed: int  # granted in this office, scheme and year before the frame was set
        actor: str
        reason: str | None

    class FrameRevised(Event):
        TOPIC = "domain.frame:BudgetFrame.FrameRevised"
        amount: int
        actor: str
        reason: str | None

        def apply(self, aggregate: BudgetFrame) -> None:
            aggregate.amount = self.amount

    class Committed(Event):
        TOPIC = "domain.frame:BudgetFrame.Committed"
        ref: str
        delta: int
        over_frame: bool
        actor: str

        def apply(self, aggregate: BudgetFrame) -> None:
            aggregate.committed += self.delta

    @staticmethod
    def create_id(office: str, scheme: str, year: int) -> UUID:
        return frame_id(office, scheme, year)

    @classmethod
    def open(cls, *, office: str, scheme: str, year: int, amount: int, committed: int,
             reason: str | None = None) -> BudgetFrame:
        return cls(office=office, scheme=scheme, year=year, amount=amount, committed=committed,
                   actor=current_actor.get(), reason=reason)

    @event(FrameSet)
    def __init__(self, office: str, scheme: str, year: int, amount: int, committed: int, actor: str,
                 reason: str | None):
        self.office, self.scheme, self.year = office, scheme, year
        self.amount = amount
        self.committed = committed

    def set_amount(self, *, amount: int, reason: str | None = None) -> None:
        """Set or revise the frame amount."""
        self.trigger_event(self.FrameRevised, amount=amount, actor=current_actor.get(), reason=reason)

    def commit(self, *, ref: str, delta: int, over_frame: bool, reason: str | None, field: str = "amount") -> None:
        """Count a change in granted money against the frame; refuse an excess unless overridden.
        `field` names the command's field the money came from (its amount, or the year a rule
        computed it for), for the refusal."""
        if delta > 0 and self.committed + delta > self.amount:
            if not over_frame:
                raise RuleRefused(f"{field}: " + _(
                    "{office} {scheme} {year} frame is {frame}, {committed} already granted; {delta} more exceeds "
                    "it (over_frame with a reason overrides)").format(
                    office=self.office, scheme=self.scheme, year=self.year, frame=format_kroner(self.amount),
                    committed=format_kroner(self.committed), delta=format_kroner(delta)))
            if not reason:
                raise InvalidInput("reason: " + _("is required to grant over the frame"))
        self.trigger_event(self.Committed, ref=ref, delta=delta, over_frame=over_frame, actor=current_actor.get())
