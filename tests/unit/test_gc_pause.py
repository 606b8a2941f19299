"""Bulk work runs with the cyclic collector paused, and leaves it as it found it."""

import gc

from grants.ledger import batch
from grants.ledger.gc_pause import COLLECT_EVERY, collector_paused


def test_the_collector_is_paused_in_the_block_and_running_after_it():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer block resumes it
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_streaming_run_collects_every_so_many_batches(monkeypatch):
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *args: collected.append(args))
    with collector_paused() as tick:
        for _ in range(2 * COLLECT_EVERY + 1):
            tick()
    assert len(collected) == 2  # paused, yet cycles a batch leaves are freed: memory stays flat


def test_a_failing_block_still_resumes_the_collector():
    try:
        with collector_paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()


def test_an_import_parses_and_decides_with_the_collector_paused(tmp_path):
    seen = []

    class Ledger:
        def execute_all(self, commands, **_):
            seen.append(gc.isenabled())
            return len(commands), []

    path = tmp_path / "batch.jsonl"
    path.write_text('{"command": "grant", "ref": "A/1", "year": 2021}\n', encoding="utf-8")
    outcome = batch.import_file(Ledger(), path)
    assert (outcome.written, outcome.problems, seen, gc.isenabled()) == (1, [], [False], True)
