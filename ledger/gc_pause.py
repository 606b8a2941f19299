"""Bulk work with the cyclic garbage collector paused.

A bulk run (an import, a rebuild, a report over every position) keeps hundreds of thousands of
objects alive until it ends; CPython's collector walks every one of them again each time the
allocations since the last run pass its threshold, which made a third of an import's time
(docs/performance.md). Nothing these runs allocate depends on the collector to be freed
(reference counting frees what they drop), so the collector is paused for the run. A streaming
run (a rebuild, a catch-up) calls the `tick` it is given once per batch, which collects every
COLLECT_EVERY batches: the few cycles a batch leaves (the database layer's) are freed and memory
stays flat however long the log."""

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count

COLLECT_EVERY = 50  # batches of a streaming run between collections while paused


@contextmanager
def collector_paused() -> Iterator[Callable[[], None]]:
    """Pause the cyclic collector for the block (nested blocks leave it to the outermost); the
    block may call the yielded `tick` once per batch of a streaming run."""
    ticks = count(1)

    def tick() -> None:
        if next(ticks) % COLLECT_EVERY == 0:
            gc.collect()

    if not gc.isenabled():
        yield tick
        return
    gc.disable()
    try:
        yield tick
    finally:
        gc.enable()
