"""Who is acting: one context variable, set once at the edge (CLI, batch import, tests)."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_actor: ContextVar[str] = ContextVar("current_actor", default="system")


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    token = current_actor.set(actor)
    try:
        yield
    finally:
        current_actor.reset(token)
