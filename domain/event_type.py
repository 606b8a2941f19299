"""The library's frozen event dataclasses, built with half the compiling.

eventsourcing makes every event class a frozen dataclass when it is defined (`MetaDomainEvent`),
and the standard library compiles six methods for each: `__init__`, `__repr__`, `__eq__`,
`__hash__`, `__setattr__` and `__delattr__`. With some thirty event classes that was the largest
part of a reading command's own start-up (`grants show` decodes events, so it builds them all).

`FrozenEvent` is the metaclass our aggregates' base events name: each event class is still a
frozen dataclass with the same fields, `__init__` and frozen guards, compiled per class; its
`__eq__`, `__hash__` and `__repr__` are one shared function each, reading the class's fields at
call time, with the results the compiled ones give (tests/unit/test_event_type.py).
"""

import dataclasses
import inspect
import reprlib
from typing import Any

from eventsourcing.domain import EventsourcingType, MetaDomainEvent


def _compared(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj) if f.compare)


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        return _compared(self) == _compared(other)
    return NotImplemented


def _hash(self: Any) -> int:  # the fields dataclass hashes: those compared, unless a field says otherwise
    return hash(
        tuple(getattr(self, f.name) for f in dataclasses.fields(self) if (f.compare if f.hash is None else f.hash))
    )


@reprlib.recursive_repr()  # as dataclasses guards its own: an event holding itself prints "..."
def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
    return f"{self.__class__.__qualname__}({shown})"


SHARED = {"__eq__": _eq, "__hash__": _hash, "__repr__": _repr}


class FrozenEvent(MetaDomainEvent):
    """`MetaDomainEvent`, less the three methods that need no compiling per class."""

    def __new__(mcs, name: str, bases: tuple[type, ...], cls_dict: dict[str, Any]) -> Any:
        # EventsourcingType.__new__ is type.__new__: skip MetaDomainEvent's own dataclass call.
        event_cls: Any = EventsourcingType.__new__(mcs, name, bases, cls_dict)
        event_cls = dataclasses.dataclass(frozen=True, repr=False, eq=False)(event_cls)
        for method, shared in SHARED.items():
            if method not in cls_dict:  # a method the class writes itself stays, as with dataclass
                setattr(event_cls, method, shared)
        event_cls.__signature__ = inspect.signature(event_cls.__init__)  # as MetaDomainEvent sets it
        return event_cls
