"""Who may do what: users with a role and (for caseworkers) an office, as aggregates in the ledger.

A ledger is *open* (every actor acts as admin) until `grants init` records its first admin; from
then on every command checks the actor's role, and every change to users is an event like any other.
"""

from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from grants.domain.actor import current_actor
from grants.domain.errors import InvalidInput, NotAllowed, quoted
from grants.domain.event_type import FrozenEvent
from grants.domain.i18n import _
from grants.domain.ids import SETTINGS_ID, user_id
from grants.domain.roles import ROLES


class LedgerSettings(Aggregate):
    TOPIC = "domain.users:LedgerSettings"  # a stable name stored with every event; never change it

    # The events derive from the aggregate's own base event (see GrantPosition): built once, not twice.
    class Event(Aggregate.Event, metaclass=FrozenEvent):
        TOPIC = "domain.users:LedgerSettings.Event"  # a base: no event of this class is stored

    class Created(Aggregate.Created, Event):  # the library's base creation event
        TOPIC = "domain.users:LedgerSettings.Created"

    class Initialized(Aggregate.Created, Event):
        TOPIC = "domain.users:LedgerSettings.Initialized"
        first_admin: str

    @staticmethod
    def create_id() -> UUID:
        return SETTINGS_ID

    @event(Initialized)
    def __init__(self, first_admin: str):
        self.first_admin = first_admin


class User(Aggregate):
    TOPIC = "domain.users:User"  # a stable name stored with every event; never change it

    # The events derive from the aggregate's own base event (see GrantPosition): built once, not twice.
    class Event(Aggregate.Event, metaclass=FrozenEvent):
        TOPIC = "domain.users:User.Event"  # a base: no event of this class is stored

    class Created(Aggregate.Created, Event):  # the library's base creation event
        TOPIC = "domain.users:User.Created"

    class Added(Aggregate.Created, Event):
        TOPIC = "domain.users:User.Added"
        name: str
        role: str
        office: str | None
        actor: str

    class RoleChanged(Event):
        TOPIC = "domain.users:User.RoleChanged"
        role: str
        office: str | None
        actor: str

        def apply(self, aggregate: "User") -> None:
            aggregate.role, aggregate.office = self.role, self.office

    @staticmethod
    def create_id(name: str) -> UUID:
        return user_id(name)

    @classmethod
    def add(cls, *, name: str, role: str, office: str | None) -> "User":
        _check(role, office)
        return cls(name=name, role=role, office=office, actor=current_actor.get())

    @event(Added)
    def __init__(self, name, role, office, actor):
        self.name, self.role, self.office = name, role, office

    def change_role(self, *, role: str, office: str | None) -> None:
        _check(role, office)
        self.trigger_event(self.RoleChanged, role=role, office=office, actor=current_actor.get())


def _check(role: str, office: str | None) -> None:
    """A missing or malformed value is invalid input (exit 2), like any other missing option."""
    if role not in ROLES:
        raise InvalidInput("role: " + _("must be one of {choices}, got {given}").format(
            choices=", ".join(ROLES), given=quoted(role)))
    if role == "caseworker" and not office:
        raise InvalidInput("office: " + _("is required for a caseworker (the office whose positions they record)"))


@dataclass(frozen=True)
class Access:
    """What the current actor may do; `None` in place of an Access means an open ledger."""

    name: str
    role: str
    office: str | None

    def require_admin(self, what: str) -> None:
        """`what` (marked N_ where it is written) names the work: "managing users"."""
        if self.role != "admin":
            raise NotAllowed("role: " + _("{what} is for admins; {name} is {role}").format(
                what=_(what), name=repr(self.name), role=_(self.role)))

    def require_write(self, office: str, ref: str) -> None:
        if self.role == "admin":
            return
        if self.role != "caseworker":
            raise NotAllowed("role: " + _("{name} is {role} and cannot record decisions").format(
                name=repr(self.name), role=_(self.role)))
        if office != self.office:
            raise NotAllowed("office: " + _("{ref} belongs to {office}; {name} works for {own}").format(
                ref=repr(ref), office=office, name=repr(self.name), own=self.office))
