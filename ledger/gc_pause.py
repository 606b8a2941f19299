"""Bulk work with the cyclic garbage collector paused.

A bulk run (an import, a rebuild, a report over every position) keeps hundreds of thousands of
objects alive until it ends; CPython's collector walks every one of them again each time the
allocations since the last run pass its threshold, which made a third of an import's time
(docs/performance.md). Nothing these runs allocate depends on the collector to be freed
(reference counting frees what they drop), so the collector is paused for the run and runs once
at its end, and memory stays what the run holds."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (nested blocks leave it to the outermost)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
