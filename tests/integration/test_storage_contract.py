"""One storage contract, run against SQLite and PostgreSQL (the `db_url` fixture)."""

import sqlite3
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from grants.domain import commands as c
from grants.domain.errors import ConcurrentChange, NotFound
from grants.ledger.application import GrantsLedger

REF = "2021/4711-3"


def apply_cmd(ref=REF, **over):
    values = dict(ref=ref, kommune="3401", scheme="765.62", title="Ruskonsulent", fte="1", year="2021")
    return c.parse(c.Apply, **{**values, **over})


def test_a_position_survives_reopening_the_ledger_with_every_type_intact(db_url):
    first = GrantsLedger(db_url)
    first.execute(apply_cmd(received="2021-02-01", wage_cost="700000", partners=("NAV",)))
    first.execute(c.parse(c.Grant, ref=REF, year=2021, decided="2021-03-01"))
    first.execute(c.parse(c.ReduceFte, ref=REF, fte="0.6", effective="2021-05-01"))
    first.execute(c.parse(c.Report, ref=REF, year=2021, spent="400000", fte_filled="0.6"))
    first.close()
    reopened = GrantsLedger(db_url)
    position = reopened.position(REF)
    assert position.version == 4 and position.partners == ["NAV"]
    assert position.fte == Decimal("0.60") and isinstance(position.fte, Decimal)
    assert position.years[2021].amount == 484_000  # 660 000 x (1 x 4 + 0.6 x 8) / 12
    assert position.reports[2021][0].fte_filled == Decimal("0.60")
    assert position.received.isoformat() == "2021-02-01"
    reopened.close()


def test_an_unknown_ref_is_not_found(ledger):
    with pytest.raises(NotFound):
        ledger.position("nope")


def test_a_retried_apply_creates_one_position(ledger):
    for _ in range(5):
        ledger.execute(apply_cmd())
    assert len(ledger.events_of(REF)) == 1


def test_a_stale_writer_gets_a_concurrent_change_and_writes_nothing(db_url):
    one, two = GrantsLedger(db_url), GrantsLedger(db_url)
    one.execute(apply_cmd())
    stale = two.position(REF)
    one.execute(c.parse(c.Grant, ref=REF, year=2021))
    stale.reject(reason="late", decided=date(2021, 3, 1))
    with pytest.raises(ConcurrentChange, match="re-run"):
        two._store(stale)
    assert [type(e).__name__ for e in one.events_of(REF)] == ["Applied", "Granted"]
    one.close(), two.close()


def test_a_multi_position_save_with_one_conflict_writes_none_of_them(db_url):
    app = GrantsLedger(db_url)
    app.execute(apply_cmd())
    stale = app.position(REF)
    app.execute(c.parse(c.Grant, ref=REF, year=2021))
    from grants.domain.kommuner import lookup
    from grants.domain.position import GrantPosition

    other = GrantPosition.apply_for(ref="2021/2", kommune=lookup("3401", 2021), scheme="765.62",
                                    title="t", fte=Decimal(1), year=2021, received=date(2021, 2, 1))
    stale.reject(reason="late", decided=date(2021, 3, 1))
    with pytest.raises(ConcurrentChange):
        app._store(other, stale)
    with pytest.raises(NotFound):
        app.position("2021/2")
    app.close()


def test_sqlite_ledger_is_durable_wal_with_synchronous_full(sqlite_url):
    app = GrantsLedger(sqlite_url)
    app.execute(apply_cmd())
    with app.factory.datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL: durable on power loss; NORMAL (1) is not
    app.close()
    assert sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def chain_rows_match_events(path) -> tuple[int, int]:
    """(chain rows, chain rows naming the notification id their event was stored under)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM grants_chain").fetchone()[0]
        matching = conn.execute(
            "SELECT COUNT(*) FROM grants_chain c JOIN stored_events e ON e.rowid = c.notification_id "
            "AND e.originator_id = c.originator_id AND e.originator_version = c.originator_version").fetchone()[0]
    return rows, matching


def test_sqlite_events_written_together_get_the_ids_sqlite_gave_them(sqlite_url):
    """The events of a save are inserted by one executemany and their ids derived from the first
    one's; a planted row at the largest rowid makes SQLite choose ids at random, and each event's
    own id is then read back, so the chain still names the row it seals."""
    path = sqlite_url.split("///", 1)[1]
    ledger = GrantsLedger(sqlite_url)
    work = [(1, apply_cmd("A/1")), (2, apply_cmd("A/2")), (3, c.parse(c.Grant, ref="A/1", year=2021))]
    assert ledger.execute_all(work) == (3, [])
    assert chain_rows_match_events(path) == (3, 3)
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute("SELECT rowid FROM stored_events ORDER BY rowid")]
        conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                     "VALUES (9223372036854775807, 'planted', 1, 'x', x'')")
    assert ids == [1, 2, 3]
    work = [(1, apply_cmd("B/1")), (2, apply_cmd("B/2")), (3, c.parse(c.Grant, ref="B/1", year=2021)),
            (4, c.parse(c.Grant, ref="B/2", year=2021))]
    assert ledger.execute_all(work) == (4, [])
    with sqlite3.connect(path) as conn:
        new_ids = [row[0] for row in conn.execute("SELECT rowid FROM stored_events WHERE rowid > 3 AND "
                                                  "originator_id != 'planted'")]
    assert len(new_ids) == 4 and new_ids != list(range(4, 8))  # not consecutive: SQLite chose them
    assert chain_rows_match_events(path) == (7, 7)
    ledger.close()


def test_the_log_is_read_as_the_library_selects_it(db_url):
    """The log is read (read_log, verify, the --known-at cut) through select_log, plain rows
    rather than the library's Notification objects: held here to the library's rows, the same
    ids, originators, versions, topics and states, for every window and topic filter a reader
    asks for, open windows (None) included, on both engines."""
    ledger = GrantsLedger(db_url)
    work = [(i, apply_cmd(f"L/{i}")) for i in range(1, 6)] + [(9, c.parse(c.Grant, ref="L/2", year=2021))]
    assert ledger.execute_all(work) == (6, [])
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62", year=2021, amount=1_000_000))
    head = ledger.head()
    applied, framed = ledger.read_log(0, 1, head)[0][1].TOPIC, "domain.frame:BudgetFrame.FrameSet"
    recorder = ledger.recorder
    for after, limit, stop, topics in [(0, 100, head, ()), (0, 3, head, ()), (2, 2, head, ()), (1, 100, 4, ()),
                                       (0, 100, head, (applied,)), (0, 100, head, (framed,)), (3, 1, head, (applied,)),
                                       (head, 10, head, ()), (0, 100, head, ("no such topic",)),
                                       (None, 100, None, ()), (None, 2, None, ()), (3, 100, None, ()),
                                       (None, 100, 3, ()), (None, 100, None, (framed,)), (None, 100, None, (applied,))]:
        mine = recorder.select_log(after, limit, stop, topics)
        library = recorder.select_notifications(start=after, limit=limit, stop=stop, topics=topics,
                                                inclusive_of_start=False)
        assert [tuple(row) for row in mine] == [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                                                for n in library], (after, limit, stop, topics)
        assert all(type(row.originator_id) is UUID and type(row.state) is bytes for row in mine)
    assert len(recorder.select_log(0, 100, head, (framed,))) == 1
    assert [e.ref for _, e in ledger.read_log(0, 100, head, (applied,))] == [f"L/{i}" for i in range(1, 6)]
    ledger.close()


def test_saving_collects_each_aggregates_events_as_the_library_does(db_url, monkeypatch):
    """GrantsLedger.save collects aggregates' pending events itself (no runtime-protocol checks:
    the library's collect_events is not called) and hands anything else, a domain event or
    None, to the library's save: both record the same events, in order, with their
    notification ids, and leave nothing pending."""
    from eventsourcing.application import ProcessingEvent

    ledger = GrantsLedger(db_url)
    ledger.execute(apply_cmd("S/1"))
    ledger.execute(apply_cmd("S/2"))
    first, second = ledger.position("S/1"), ledger.position("S/2")
    for position in (first, second):
        position.trigger_event(position.Rejected, reason="no", actor="x", effective=date(2021, 3, 1))
    head = ledger.head()
    collected = []
    library_collect = ProcessingEvent.collect_events
    monkeypatch.setattr(ProcessingEvent, "collect_events",
                        lambda self, *objs, **kw: collected.append(objs) or library_collect(self, *objs, **kw))
    mine = ledger.save(first, second)
    assert collected == []  # collected by the ledger
    assert [(r.notification.id, r.domain_event.originator_id) for r in mine] == [
        (head + 1, first.id), (head + 2, second.id)]
    assert not first._pending_events and not second._pending_events
    third = ledger.position("S/1")
    third.trigger_event(third.Terminated, cause="other", reason="x", actor="x", effective=date(2021, 4, 1))
    [event] = third.collect_events()
    library = ledger.save(None, event)  # not aggregates: the library's own collection
    assert collected == [(None, event)] and [r.notification.id for r in library] == [head + 3]
    assert [type(e).__name__ for _, e in ledger.read_log(head, 10, head + 3)] == ["Rejected", "Rejected", "Terminated"]
    assert ledger.position("S/1").version == 3 and ledger.position("S/2").version == 2
    ledger.close()


def test_saving_aggregates_keeps_the_expectations_that_guard_the_frames(db_url):
    """The keyword arguments of a save carry the ledger's expectations (ledger._store): nothing
    recorded after `expect_head`, no events yet for `expect_absent`. Through the ledger's own
    collection too, a failed one is a concurrent change and writes nothing."""
    from grants.domain.ids import position_id

    ledger = GrantsLedger(db_url)
    ledger.execute(apply_cmd("E/1"))
    ledger.execute(apply_cmd("E/2"))
    head = ledger.head()
    for expectation in ({"expect_head": head - 1}, {"expect_absent": [position_id("E/1")]}):
        position = ledger.position("E/2")
        position.trigger_event(position.Rejected, reason="no", actor="x", effective=date(2021, 3, 1))
        with pytest.raises(ConcurrentChange):
            ledger._store(position, **expectation)
        assert ledger.head() == head and ledger.position("E/2").version == 1
    position = ledger.position("E/2")
    position.trigger_event(position.Rejected, reason="no", actor="x", effective=date(2021, 3, 1))
    ledger._store(position, expect_head=head, expect_absent=[position_id("E/9")])
    # (on PostgreSQL the refused saves drew ids from the sequence: the next id is not head + 1)
    assert [type(e).__name__ for _, e in ledger.read_log(head, 10, ledger.head())] == ["Rejected"]
    ledger.close()


def _code(function) -> str:
    """A function's statements without its docstring and comments, as ast writes them."""
    import ast
    import inspect
    import textwrap

    body = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0].body  # type: ignore[attr-defined]
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return "\n".join(ast.unparse(statement) for statement in body)


def test_the_library_save_that_grants_ledger_save_repeats_is_unchanged():
    """GrantsLedger.save repeats the library's save and, for aggregates, the collection of its
    ProcessingEvent: if an upgrade of eventsourcing changes either, this fails and the copy must
    follow."""
    from eventsourcing.application import Application, ProcessingEvent

    assert _code(Application.save) == (
        "processing_event: ProcessingEvent[TAggregateID] = ProcessingEvent()\n"
        "processing_event.collect_events(*objs, **kwargs)\n"
        "recordings = self._record(processing_event)\n"
        "self._take_snapshots(processing_event)\n"
        "self._notify(recordings)\n"
        "self.notify(processing_event.events)\n"
        "return recordings")
    assert _code(ProcessingEvent.collect_events) == (
        "for obj in objs:\n"
        "    if obj is None:\n"
        "        continue\n"
        "    if isinstance(obj, DomainEventProtocol):\n"
        "        self.events.append(obj)\n"
        "    else:\n"
        "        if isinstance(obj, CollectEventsProtocol):\n"
        "            for event in obj.collect_events():\n"
        "                self.events.append(event)\n"
        "        self.aggregates[obj.id] = obj\n"
        "self.saved_kwargs.update(kwargs)")
