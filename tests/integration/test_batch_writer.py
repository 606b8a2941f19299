"""A large batch's events written by a second process while the lines after them are decided
(ledger/batch_writer.py): the same ledger as the kept path, and nothing committed unless every
line was allowed and the writer committed, on SQLite and PostgreSQL.

The writer is asked for here with small numbers (a part every 3 lines, from the first line, as
on a machine with two CPUs) so that every test hands over several parts."""

import json

import pytest

from grants.domain import commands as c
from grants.domain.errors import ConcurrentChange, NotAllowed, StorageFailed
from grants.ledger import batch_writer
from grants.ledger.application import GrantsLedger
from grants.ledger.batch import import_file
from grants.ledger.verify import verify_ledger
from tests.integration.test_import_equivalence import FILE_LINES, PINNED, TODAY, digest, stored


@pytest.fixture
def writer_process(monkeypatch):
    """Every batch goes through a writer process, in parts of 3 lines."""
    monkeypatch.setattr(batch_writer, "WRITER_FROM", 1)
    monkeypatch.setattr(batch_writer, "PART", 3)
    monkeypatch.setattr(batch_writer, "_cpus", lambda: 2)
    made = []
    start = batch_writer.WriterProcess.__init__

    def counted(self, ledger):
        start(self, ledger)
        made.append(self)

    monkeypatch.setattr(batch_writer.WriterProcess, "__init__", counted)
    yield made
    assert [writer._process.poll() is not None for writer in made] == [True] * len(made)  # all ended


def lines_file(tmp_path, lines) -> object:
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def lifecycle(ref: str) -> list[dict]:
    return [{"command": "apply", "ref": ref, "kommune": "3401", "scheme": "765.62", "title": "Ruskonsulent",
             "fte": "1", "year": 2021, "received": "2021-02-01"},
            {"command": "grant", "ref": ref, "year": 2021, "decided": "2021-03-01"},
            {"command": "report", "ref": ref, "year": 2021, "spent": "600000", "received": "2022-02-10"}]


def applied_directly(url: str, ref: str, title: str, **ledger_options) -> None:
    """Another caseworker's application, recorded by a command of its own (not the batch)."""
    ledger = GrantsLedger(url, **ledger_options)
    ledger.execute(c.parse(c.Apply, ref=ref, kommune="0301", scheme="765.62", title=title, fte="1", year=2021,
                           received="2021-02-01"))
    ledger.close()


def events_in(url: str) -> int:
    """Events stored (not the newest id: on PostgreSQL a rolled-back writer still used up ids)."""
    ledger = GrantsLedger(url)
    try:
        return len(ledger.recorder.select_notifications(start=0, limit=10_000))
    finally:
        ledger.close()


def test_the_writer_process_stores_what_the_kept_path_stores_byte_for_byte(db_url, tmp_path, recorded_clock,
                                                                          writer_process):
    recorded_clock("2024-05-02T08:00:00+00:00")
    ledger = GrantsLedger(db_url, today=lambda: TODAY)
    ledger.set_frame(c.parse(c.SetFrame, office="innlandet", scheme="765.62", year=2021, amount="2000000"))
    outcome = import_file(ledger, lines_file(tmp_path, FILE_LINES))
    assert (outcome.problems, outcome.written, len(writer_process)) == ([], 18, 1)
    found = stored(ledger)
    assert (len(found), digest(found)) == (19, PINNED)  # the digest the commands one at a time give
    report = verify_ledger(ledger)
    assert (report.problem, report.count) == (None, 19)
    ledger.close()


def test_a_refusal_after_parts_were_written_leaves_nothing(db_url, tmp_path, writer_process):
    lines = lifecycle("A-1") + lifecycle("A-2") + lifecycle("A-3")
    lines.append({"command": "grant", "ref": "A-9", "year": 2021})  # line 10: no such position
    ledger = GrantsLedger(db_url)
    outcome = import_file(ledger, lines_file(tmp_path, lines))
    assert outcome.written == 0
    assert [(line, str(error)) for line, error in outcome.problems] == [(10, "line 10: ref: no position 'A-9'")]
    ledger.close()
    assert events_in(db_url) == 0  # three parts were handed over; all rolled back
    again = GrantsLedger(db_url)  # and the write lock is free again
    assert import_file(again, lines_file(tmp_path, lines[:9])).written == 9
    again.close()


def test_a_position_recorded_meanwhile_is_a_conflict_and_nothing_is_written(db_url, tmp_path, writer_process,
                                                                           monkeypatch):
    from grants.ledger.work import UnitOfWork

    prefetch = UnitOfWork.prefetch_absent

    def then_someone_else_applies(self, refs):
        prefetch(self, refs)  # the batch now believes A-2 is new
        applied_directly(db_url, "A-2", "Annen")

    monkeypatch.setattr(UnitOfWork, "prefetch_absent", then_someone_else_applies)
    ledger = GrantsLedger(db_url)
    with pytest.raises(ConcurrentChange, match="changed by someone else"):
        import_file(ledger, lines_file(tmp_path, lifecycle("A-1") + lifecycle("A-2")))
    ledger.close()
    assert events_in(db_url) == 1  # the other caseworker's application only


def test_a_keyed_ledger_refuses_a_writer_without_the_key(db_url, tmp_path, writer_process):
    applied_directly(db_url, "K-1", "Nøkkel", chain_key=b"office key")
    unkeyed = GrantsLedger(db_url, chain_key=None)
    with pytest.raises(NotAllowed, match="this ledger is keyed"):
        import_file(unkeyed, lines_file(tmp_path, lifecycle("A-1")))
    unkeyed.close()
    assert events_in(db_url) == 1


def test_a_writer_that_dies_before_committing_leaves_nothing(db_url, tmp_path, writer_process, monkeypatch):
    commit = batch_writer.WriterProcess.commit

    def killed_before_the_commit(self, expect_absent):
        if not self._ready:
            self._answer(self._receive())
        self._flush()  # every part handed over, then the writer is gone
        self._process.kill()
        self._process.wait()
        return commit(self, expect_absent)

    monkeypatch.setattr(batch_writer.WriterProcess, "commit", killed_before_the_commit)
    ledger = GrantsLedger(db_url)
    with pytest.raises(StorageFailed, match="ended before committing; nothing was written"):
        import_file(ledger, lines_file(tmp_path, lifecycle("A-1") + lifecycle("A-2") + lifecycle("A-3")))
    ledger.close()
    assert events_in(db_url) == 0
    monkeypatch.setattr(batch_writer.WriterProcess, "commit", commit)
    again = GrantsLedger(db_url)  # the dead writer's lock went with it
    assert import_file(again, lines_file(tmp_path, lifecycle("A-1"))).written == 3
    assert verify_ledger(again).problem is None
    again.close()


def test_a_small_batch_or_one_cpu_keeps_its_parts_in_this_process(monkeypatch, sqlite_url):
    ledger = GrantsLedger(sqlite_url)
    monkeypatch.setattr(batch_writer, "_cpus", lambda: 2)
    assert isinstance(batch_writer.sink_for(ledger, batch_writer.WRITER_FROM - 1), batch_writer.Kept)
    monkeypatch.setattr(batch_writer, "_cpus", lambda: 1)
    assert isinstance(batch_writer.sink_for(ledger, batch_writer.WRITER_FROM), batch_writer.Kept)
    ledger.close()


def test_a_writer_that_dies_at_its_start_is_a_storage_failure_not_an_internal_error(db_url, tmp_path,
                                                                                    writer_process, monkeypatch):
    monkeypatch.setattr(batch_writer, "BOOTSTRAP", "import os; os._exit(1)")  # as if killed while starting
    ledger = GrantsLedger(db_url)
    with pytest.raises(StorageFailed, match="ended before committing; nothing was written") as refused:
        import_file(ledger, lines_file(tmp_path, lifecycle("A-1") + lifecycle("A-2") + lifecycle("A-3")))
    assert refused.value.exit_code == 8
    assert writer_process[0]._waiting == []  # once it had failed, no part was kept for it
    ledger.close()
    assert events_in(db_url) == 0


def test_a_ctrl_c_while_the_commit_is_under_way_reports_the_commit(db_url, tmp_path, writer_process, monkeypatch):
    import os
    import signal

    receive = batch_writer.WriterProcess._receive
    interrupted = []

    def interrupted_once_after_the_commit_was_sent(self):
        if not self._open and not interrupted:  # "go" is sent: the answer is awaited
            interrupted.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # the user's Ctrl-C (a KeyboardInterrupt here would end pytest)
        return receive(self)

    monkeypatch.setattr(batch_writer.WriterProcess, "_receive", interrupted_once_after_the_commit_was_sent)
    ledger = GrantsLedger(db_url)
    outcome = import_file(ledger, lines_file(tmp_path, lifecycle("A-1") + lifecycle("A-2")))
    ledger.close()
    assert (interrupted, outcome.problems, outcome.written, events_in(db_url)) == ([True], [], 6, 6)


def test_the_writers_error_is_in_the_users_language(db_url, tmp_path, writer_process):
    from grants.cli.language import install

    applied_directly(db_url, "K-1", "Nøkkel", chain_key=b"office key")
    unkeyed = GrantsLedger(db_url, chain_key=None)
    install("nb")
    try:
        with pytest.raises(NotAllowed, match="registeret er forseglet med nøkkel"):
            import_file(unkeyed, lines_file(tmp_path, lifecycle("A-1")))
    finally:
        install("en")
        unkeyed.close()


@pytest.mark.postgres
def test_a_part_slower_than_the_servers_idle_timeout_still_commits(tmp_path, writer_process, monkeypatch):
    """eventsourcing ends a transaction idle for 5 s; the writer's stays open while lines are decided."""
    import time

    from grants.ledger.work import UnitOfWork
    from tests.conftest import _postgres_schema_url, created

    url, drop = _postgres_schema_url()
    created(url)
    run = UnitOfWork.run

    def slow_after_the_first_part(self, cmd):
        if cmd.ref == "A-2" and type(cmd).__name__ == "Apply":  # line 4: parts of lines 1-3 are written
            time.sleep(6)
        return run(self, cmd)

    monkeypatch.setattr(UnitOfWork, "run", slow_after_the_first_part)
    ledger = GrantsLedger(url)
    assert import_file(ledger, lines_file(tmp_path, lifecycle("A-1") + lifecycle("A-2"))).written == 6
    ledger.close()
    drop()


def test_a_ctrl_c_before_the_writer_asks_to_commit_aborts_and_writes_nothing(db_url, tmp_path, writer_process,
                                                                            monkeypatch):
    receive = batch_writer.WriterProcess._receive
    asked = []

    def interrupted_while_it_inserts_the_rest(self):
        answer = receive(self)
        if answer[0] == "committing":  # as if the Ctrl-C had come just before this answer
            asked.append(True)
            raise KeyboardInterrupt
        return answer

    monkeypatch.setattr(batch_writer.WriterProcess, "_receive", interrupted_while_it_inserts_the_rest)
    ledger = GrantsLedger(db_url)
    with pytest.raises(KeyboardInterrupt):
        import_file(ledger, lines_file(tmp_path, lifecycle("A-1") + lifecycle("A-2")))
    ledger.close()
    assert (asked, events_in(db_url)) == ([True], 0)  # it asked; told nothing but abort, it rolled back


def test_a_writer_lost_after_it_committed_is_a_recorded_import(db_url, tmp_path, writer_process, monkeypatch):
    receive = batch_writer.WriterProcess._receive

    def answer_lost(self):
        answer = receive(self)
        return ("error", batch_writer._writer_lost()) if answer[0] == "done" else answer  # it died after COMMIT

    monkeypatch.setattr(batch_writer.WriterProcess, "_receive", answer_lost)
    ledger = GrantsLedger(db_url)
    outcome = import_file(ledger, lines_file(tmp_path, lifecycle("A-1") + lifecycle("A-2")))
    ledger.close()
    assert (outcome.problems, outcome.written, events_in(db_url)) == ([], 6, 6)  # found in the ledger: recorded


def test_parts_are_handed_over_by_time_and_empty_ones_only_once_the_writer_has_begun(sqlite_url, tmp_path,
                                                                                   writer_process, monkeypatch):
    posted = []
    post = batch_writer.WriterProcess._post

    def recorded(self, message):
        if message[0] == "events":
            posted.append(len(message[1]))
        post(self, message)

    monkeypatch.setattr(batch_writer.WriterProcess, "_post", recorded)
    monkeypatch.setattr(batch_writer, "PART", 10**9)  # never by count ...
    monkeypatch.setattr(batch_writer, "PART_SECONDS", 0)  # ... always by time, checked every 2 lines
    monkeypatch.setattr(batch_writer, "PART_CHECK", 2)
    first = GrantsLedger(sqlite_url)
    assert import_file(first, lines_file(tmp_path, lifecycle("A-1")[:1])).written == 1
    first.close()
    again = lifecycle("A-1")[:1]  # a retry of the same application records nothing
    ledger = GrantsLedger(sqlite_url)
    assert import_file(ledger, lines_file(tmp_path, again * 4 + lifecycle("A-2") + again * 2)).written == 3
    ledger.close()
    # The first import's one event; then lines 1-4 record nothing and are not sent (the writer has
    # not begun: an empty first part would open SQLite's transaction with a read); lines 5-6 (apply,
    # grant), 7-8 (report, a retry), and line 9, empty, sent once the writer has begun: on
    # PostgreSQL it keeps the writer's transaction busy rather than idle.
    assert posted == [1, 2, 1, 0]
    assert verify_ledger(GrantsLedger(sqlite_url)).count == 4


def test_a_writer_lost_after_the_go_is_not_taken_for_another_writers_event(db_url, tmp_path, writer_process,
                                                                            monkeypatch):
    receive = batch_writer.WriterProcess._receive

    def lost_as_it_asks_and_someone_else_applies(self):
        answer = receive(self)
        if answer[0] == "committing":
            self._process.kill()  # before the go reaches it: its transaction, with A-1 version 1, dies
            self._process.wait()
            applied_directly(db_url, "A-1", "Annen")  # another caseworker records A-1 version 1, differently
        return answer

    monkeypatch.setattr(batch_writer.WriterProcess, "_receive", lost_as_it_asks_and_someone_else_applies)
    ledger = GrantsLedger(db_url)
    with pytest.raises(StorageFailed, match="ended before committing; nothing was written, re-run"):
        import_file(ledger, lines_file(tmp_path, lifecycle("A-1")[:1]))
    ledger.close()
    assert events_in(db_url) == 1  # the other caseworker's, found at the same version and told apart


def test_the_cpus_a_container_allows_bound_the_writer(tmp_path):
    proc = tmp_path / "cgroup"
    proc.write_text("0::/machine/job\n")
    for folder, quota in (("", "max 100000"), ("machine", "250000 100000"), ("machine/job", "50000 100000")):
        (tmp_path / "fs" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / folder / "cpu.max").write_text(quota + "\n")
    assert batch_writer._cgroup_quotas(proc, tmp_path / "fs") == [1, 3]  # a part of a CPU counts as one
    proc.write_text("12:cpu,cpuacct:/job\n")  # cgroup v1: no quota read
    assert batch_writer._cgroup_quotas(proc, tmp_path / "fs") == []
