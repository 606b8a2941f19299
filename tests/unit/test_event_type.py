"""Events built by FrozenEvent behave as the library's own frozen dataclass events: same fields,
constructor, repr, equality, hash and frozenness, with three methods shared instead of compiled."""

import dataclasses
import inspect
from dataclasses import field
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, MetaDomainEvent

from grants.domain import appropriation, frame, position, users
from grants.domain.event_type import SHARED, FrozenEvent


def hierarchy(metaclass: type) -> tuple[type, type, type]:
    """The same three event classes, built by `metaclass`: a base, a subclass with defaults and a
    field left out of comparison, and a class that writes its own __repr__."""

    class Event(Aggregate.Event, metaclass=metaclass):
        pass

    class Reported(Event):
        year: int
        spent: Decimal
        note: str | None = None
        seen: list = field(default_factory=list, compare=False, repr=False)

    class Plain(Event):
        year: int

        def __repr__(self) -> str:
            return f"Plain {self.year}"

    return Event, Reported, Plain


ID = UUID(int=7)
AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def made(cls: type, **fields) -> object:
    return cls(originator_id=ID, originator_version=2, timestamp=AT, **fields)


def test_repr_equality_and_hash_are_the_librarys():
    ours, theirs = hierarchy(FrozenEvent), hierarchy(MetaDomainEvent)
    for a, b in zip(ours[1:], theirs[1:], strict=True):
        assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(b)]
    values = {"year": 2024, "spent": Decimal("400000.50"), "note": "late"}
    mine, library = made(ours[1], **values), made(theirs[1], **values)
    assert repr(mine) == repr(library) == (
        "hierarchy.<locals>.Reported("
        "originator_id=UUID('00000000-0000-0000-0000-000000000007'), originator_version=2, "
        "timestamp=datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone.utc), year=2024, "
        "spent=Decimal('400000.50'), note='late')")
    assert hash(mine) == hash(library)
    assert mine == made(ours[1], **values, seen=[1])  # a field left out of comparison
    assert mine != made(ours[1], **{**values, "spent": Decimal("1")})
    assert mine.__eq__(library) is NotImplemented  # another class, as the library's answers
    assert library.__eq__(mine) is NotImplemented
    assert repr(made(ours[2], year=2021)) == repr(made(theirs[2], year=2021)) == "Plain 2021"


def test_a_recursive_value_prints_as_the_librarys():
    ours, theirs = hierarchy(FrozenEvent)[1], hierarchy(MetaDomainEvent)[1]
    mine, library = made(ours, year=1, spent=Decimal(1), note=None), made(theirs, year=1, spent=Decimal(1), note=None)
    object.__setattr__(mine, "note", [mine])
    object.__setattr__(library, "note", [library])
    assert repr(mine).split("year=")[1] == repr(library).split("year=")[1] == "1, spent=Decimal('1'), note=[...])"


def test_events_stay_frozen():
    event = made(hierarchy(FrozenEvent)[1], year=2024, spent=Decimal(1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.year = 2025
    with pytest.raises(dataclasses.FrozenInstanceError):
        del event.spent
    assert event.year == 2024


@pytest.mark.parametrize("aggregate", [position.GrantPosition, users.User, users.LedgerSettings,
                                       frame.BudgetFrame, appropriation.Appropriation])
def test_every_event_of_the_ledger_is_built_so(aggregate):
    events = [value for value in vars(aggregate).values() if isinstance(value, type) and
              issubclass(value, Aggregate.Event)]
    assert len(events) >= 3
    for event_class in events:
        assert type(event_class) is FrozenEvent, event_class
        assert event_class.__dataclass_params__.frozen
        for method, shared in SHARED.items():
            assert getattr(event_class, method) is shared, (event_class, method)


def test_the_classes_carry_what_the_librarys_carry():
    """FrozenEvent does MetaDomainEvent's work itself: the same class attributes, signature,
    docstring and dataclass parameters (but for the two it shares instead of compiling)."""
    for ours, theirs in zip(hierarchy(FrozenEvent), hierarchy(MetaDomainEvent), strict=True):
        assert set(vars(ours)) == set(vars(theirs))
        assert inspect.signature(ours) == inspect.signature(theirs)
        assert ours.__signature__ == theirs.__signature__
        assert ours.__doc__ == theirs.__doc__
        assert ours.__match_args__ == theirs.__match_args__
        mine, library = ours.__dataclass_params__, theirs.__dataclass_params__
        assert (mine.init, mine.frozen, mine.order, mine.unsafe_hash) == \
            (library.init, library.frozen, library.order, library.unsafe_hash)
