"""Attacks by someone who can write rows, on SQLite and PostgreSQL: each succeeded before
issue 11 and is caught now (docs/reliability.md, attack table)."""

import json
import threading
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from grants.cli.main import cli
from grants.domain import commands as c
from grants.domain.actor import acting_as
from grants.domain.errors import NotAllowed, VerificationFailed
from grants.domain.money import MAX_KRONER
from grants.domain.users import User
from grants.ledger.application import GrantsLedger
from grants.ledger.verify import ledger_rows, verify, verify_ledger
from grants.projections import reports
from grants.projections.check import check, status_rows
from grants.projections.current import SCHEMA_VERSION
from grants.projections.db import current_version, engine_for
from grants.projections.runner import Runner
from tests.reliability.tamper import Tamper


def grants(url, *args, actor="boss", env=None):
    return CliRunner().invoke(cli, ["--db", url, *args], env={"GRANTS_ACTOR": actor, **(env or {})})


@pytest.fixture
def office(db_url):
    """An initialised ledger: boss (admin), kari (caseworker, innlandet), one granted and reported position."""
    ledger = GrantsLedger(db_url)
    with acting_as(admin_of(db_url)):
        ledger.initialize()
        ledger.add_user("kari", "caseworker", "innlandet")
        ledger.execute(c.parse(c.Apply, ref="H/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
        ledger.execute(c.parse(c.Grant, ref="H/1", year=2021))
        ledger.execute(c.parse(c.Report, ref="H/1", year=2021, spent="600000"))
    tamper = Tamper(db_url)
    yield ledger, tamper
    tamper.close()
    ledger.close()


def hide_at_minus_one(ledger, tamper, aggregate) -> None:
    """Store an aggregate's new events below the log, as a row writer (not the ledger) can."""
    for stored in (ledger.mapper.to_stored_event(e) for e in aggregate.collect_events()):
        tamper.insert_at(-1, stored.originator_id, stored.originator_version, stored.topic, stored.state)


def assert_named(url, fragment):
    result = grants(url, "verify", actor=admin_of(url))
    assert result.exit_code == 7, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("Error: event -1 ") and fragment in line, line


def admin_of(url):
    """The first admin: on PostgreSQL the login that owns the tables (CI's test role), else 'boss'."""
    if url.startswith("postgres"):
        return url.split("//", 1)[1].split(":", 1)[0]
    return "boss"


def test_a_hidden_admin_at_id_minus_one_takes_effect_but_verify_names_its_row(office, db_url):
    ledger, tamper = office
    assert verify(ledger_rows(ledger)).problem is None
    with acting_as("mallory"):
        hide_at_minus_one(ledger, tamper, User.add(name="mallory", role="admin", office=None))
    # The attack works: loading the user reads every event of it, whatever its id ...
    assert ledger.repository.get(User.create_id("mallory")).role == "admin"
    # ... while the log, read from id 1 upwards as reports and the old verify did, does not show it.
    assert all(e.originator_id != User.create_id("mallory") for _, e in ledger.read_log(0, 100, ledger.head()))
    assert_named(db_url, "below the log's first id 1")


def test_a_hidden_report_correction_at_id_minus_one_is_named(office, db_url):
    ledger, tamper = office
    position = ledger.position("H/1")
    position.report(year=2021, spent=660_000, correction=True, received=date(2022, 2, 1))  # hides the 60 000 to reclaim
    hide_at_minus_one(ledger, tamper, position)
    assert ledger.position("H/1").reports[2021][-1].to_reclaim == 0  # what the attacker wanted
    report = verify(ledger_rows(ledger))
    assert report.problem.startswith("event -1 (position ") and "version 4) is stored at id -1" in report.problem
    assert_named(db_url, "version 4")


def test_a_chain_row_below_the_log_without_its_event_is_named(office, db_url):
    ledger, tamper = office
    tamper.sql("INSERT INTO grants_chain (notification_id, originator_id, originator_version, event_hash, "
               "position_hash, log_hash) VALUES (?, ?, ?, ?, ?, ?)", (-1, "0" * 32, 1, "x", "x", "x"))
    assert_named(db_url, "below the log's first id 1")


def test_an_event_without_a_chain_row_anywhere_in_the_log_is_named(office, db_url):
    ledger, tamper = office
    last = tamper.rows()[-1][0]
    tamper.sql("DELETE FROM grants_chain WHERE notification_id=?", (last,))
    problem = verify(ledger_rows(ledger)).problem
    assert problem.startswith(f"event {last} ") and problem.endswith("has no chain row: inserted outside the ledger")


def test_a_ledger_made_before_logins_were_recorded_still_verifies_and_keeps_writing(db_url):
    ledger = GrantsLedger(db_url)
    apply_and_grant(ledger, "L/1")
    ledger.close()
    tamper = Tamper(db_url)  # make it as the first version left it: no login, no mac, no trigger
    if not tamper.sqlite:
        tamper.sql("DROP TRIGGER grants_chain_login ON grants_chain")
    tamper.sql("UPDATE grants_chain SET login = NULL")
    tamper.rewrite_chain()
    tamper.sql("ALTER TABLE grants_chain DROP COLUMN login")
    tamper.sql("ALTER TABLE grants_chain DROP COLUMN mac")
    tamper.close()
    upgraded = GrantsLedger(db_url)  # adds the columns (and on PostgreSQL the trigger) on opening
    assert verify_ledger(upgraded).problem is None
    upgraded.execute(c.parse(c.Advance, ref="L/1", year=2022))
    report = verify_ledger(upgraded)
    assert report.problem is None and report.count == 3
    assert upgraded.recorded_logins("L/1") == {1: None, 2: None, 3: upgraded.login()}
    assert [type(e).__name__ for e in upgraded.events_of("L/1")] == ["Applied", "Granted", "YearAdvanced"]
    upgraded.close()


def apply_and_grant(ledger, ref):
    ledger.execute(c.parse(c.Apply, ref=ref, kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
    ledger.execute(c.parse(c.Grant, ref=ref, year=2021))


# --- 2. routine checkpoints and the keyed chain ------------------------------------------------

KEY = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def forged_report(ledger, actor, spent=660_000):
    """A correctly hashed report (or correction) for H/1 in the admin's name, as stored bytes:
    what a forger appends (naming a user who may record it, so only the seal tells)."""
    position = ledger.position("H/1")
    with acting_as(actor):
        position.report(year=2021, spent=spent, correction=bool(position.reports), received=date(2022, 2, 1))
    [stored] = [ledger.mapper.to_stored_event(e) for e in position.collect_events()]
    return stored


def test_a_cut_tail_passes_alone_but_not_against_the_last_checkpoint(office, tmp_path):
    ledger, tamper = office
    checkpoints = tmp_path / "checkpoints.jsonl"
    assert verify_ledger(ledger, checkpoints=checkpoints).problem is None
    last = tamper.rows()[-1][0]
    tamper.delete(last)
    tamper.sql("DELETE FROM grants_chain WHERE notification_id=?", (last,))
    assert verify(ledger_rows(ledger)).problem is None  # what verify without a checkpoint said
    report = verify_ledger(ledger, checkpoints=checkpoints)
    assert report.problem.startswith("checkpoint of ") and report.problem.endswith(
        f"covers {last} events but the ledger has only {last - 1}: events were deleted")
    assert len(checkpoints.read_text().splitlines()) == 1  # a failed verify appends nothing


def test_a_replaced_tail_with_a_recomputed_chain_fails_against_the_checkpoint(office, tmp_path):
    ledger, tamper = office
    checkpoints = tmp_path / "checkpoints.jsonl"
    verify_ledger(ledger, checkpoints=checkpoints)
    nid, *_, state = tamper.rows()[-1]  # the report: spent 600 000, 60 000 to reclaim
    tamper.set_state(nid, bytes(state).replace(b'"to_reclaim":60000', b'"to_reclaim":0'))
    tamper.rewrite_chain()
    assert verify(ledger_rows(ledger)).problem is None
    problem = verify_ledger(ledger, checkpoints=checkpoints).problem
    assert problem.startswith("checkpoint of ") and " mismatch: the first 6 events hash to " in problem
    assert problem.endswith("the chain was rewritten")


def test_each_successful_verify_appends_a_checkpoint_that_later_events_extend(office, tmp_path, db_url):
    ledger, _ = office
    (tmp_path / "sub").mkdir()
    checkpoints = tmp_path / "sub" / "checkpoints.jsonl"
    first = verify_ledger(ledger, checkpoints=checkpoints)
    assert first.checkpoint is None and first.appended.count == 6
    with acting_as(admin_of(db_url)):
        ledger.execute(c.parse(c.Advance, ref="H/1", year=2022))
    second = verify_ledger(ledger, checkpoints=checkpoints)
    assert second.problem is None and second.checkpoint.count == 6 and second.checked[0].count == 6
    lines = [json.loads(line) for line in checkpoints.read_text().splitlines()]
    assert [line["digest"].split(":")[0] for line in lines] == ["6", "7"]
    assert lines[0]["digest"] == first.digest and lines[1]["digest"] == second.digest


def test_a_damaged_checkpoint_file_fails_closed(office, tmp_path):
    ledger, _ = office
    checkpoints = tmp_path / "checkpoints.jsonl"
    checkpoints.write_text('{"at": "2026-01-01T00:00:00Z", "digest": "6:nothex"}\n')
    with pytest.raises(VerificationFailed, match=r"the last line \(1\) of .* is damaged"):
        verify_ledger(ledger, checkpoints=checkpoints)


def test_a_keyed_ledger_seals_every_row_and_its_key_holder_verifies_each(keyed_office):
    ledger, tamper = keyed_office
    report = verify_ledger(ledger)
    assert report.problem is None and report.keyed_since == 1 and report.macs_checked
    assert all(mac for (mac,) in tamper.sql("SELECT mac FROM grants_chain"))


def test_a_forged_append_passes_without_the_key_but_not_with_it(keyed_office, db_url):
    ledger, tamper = keyed_office
    stored = forged_report(ledger, admin_of(db_url))
    nid = tamper.forge_append(stored.originator_id, stored.originator_version, stored.topic, stored.state,
                              mac="f" * 64)
    keyless = GrantsLedger(db_url, chain_key=None)
    assert verify_ledger(keyless).problem is None  # the public chain links: only the key tells
    keyless.close()
    assert verify_ledger(ledger).problem.startswith(f"event {nid} (ref 'H/1' version 3) carries a forged MAC")


def test_a_forged_append_without_a_mac_is_caught_even_without_the_key(keyed_office, db_url):
    ledger, tamper = keyed_office
    stored = forged_report(ledger, admin_of(db_url))
    nid = tamper.forge_append(stored.originator_id, stored.originator_version, stored.topic, stored.state)
    keyless = GrantsLedger(db_url, chain_key=None)
    problem = verify_ledger(keyless).problem
    keyless.close()
    assert problem == (f"event {nid} (ref 'H/1' version 3) has no MAC although the chain is keyed since event 1: "
                       "forged or stripped")


def test_writers_without_the_key_or_with_another_are_refused_and_write_nothing(keyed_office, db_url):
    ledger, _ = keyed_office
    head = ledger.head()
    for key, message in ((None, "this ledger is keyed"), (KEY[::-1], "not this ledger's key")):
        other = GrantsLedger(db_url, chain_key=key)
        with acting_as(admin_of(db_url)), pytest.raises(NotAllowed, match=message):
            other.execute(c.parse(c.Advance, ref="H/1", year=2022))
        other.close()
    assert ledger.head() == head and verify_ledger(ledger).problem is None


def test_stripping_every_mac_is_caught_against_a_checkpoint(keyed_office, tmp_path):
    ledger, tamper = keyed_office
    checkpoints = tmp_path / "checkpoints.jsonl"
    verify_ledger(ledger, checkpoints=checkpoints)
    tamper.sql("UPDATE grants_chain SET mac = NULL")
    problem = verify_ledger(ledger, checkpoints=checkpoints).problem
    assert problem.startswith("checkpoint of ") and problem.endswith(
        "recorded the chain keyed since event 1, now not at all: MACs were stripped")


def test_an_unkeyed_ledger_is_keyed_from_the_first_event_written_with_a_key(office, db_url):
    ledger, _ = office
    keyed = GrantsLedger(db_url, chain_key=KEY)
    with acting_as(admin_of(db_url)):
        keyed.execute(c.parse(c.Advance, ref="H/1", year=2022))
    report = verify_ledger(keyed)
    assert report.problem is None and report.keyed_since == 7 and report.count == 7
    keyed.close()


@pytest.fixture
def keyed_office(db_url):
    ledger = GrantsLedger(db_url, chain_key=KEY)
    with acting_as(admin_of(db_url)):
        ledger.initialize()
        ledger.execute(c.parse(c.Apply, ref="H/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
        ledger.execute(c.parse(c.Grant, ref="H/1", year=2021))
    tamper = Tamper(db_url)
    yield ledger, tamper
    tamper.close()
    ledger.close()


# --- 4. read models that cannot mislead ---------------------------------------------------------

def funded(ledger, ref, amount, kommune="3401", spent=None):
    ledger.execute(c.parse(c.Apply, ref=ref, kommune=kommune, scheme="765.62-new", title="t", fte="1", year="2023",
                           wage_cost=str(MAX_KRONER)))
    ledger.execute(c.parse(c.Grant, ref=ref, year=2023, amount=str(amount)))
    if spent is not None:
        ledger.execute(c.parse(c.Report, ref=ref, year=2023, spent=str(spent), self_financing=str(MAX_KRONER)))


def test_the_largest_amount_and_a_3_billion_grant_are_reported_exactly(db_url):
    ledger = GrantsLedger(db_url)
    funded(ledger, "M/1", MAX_KRONER, spent=0)
    funded(ledger, "M/2", MAX_KRONER, spent=MAX_KRONER)
    funded(ledger, "M/3", 3_000_000_000, spent=1)
    ledger.set_frame(c.SetFrame(office="innlandet", scheme="765.62-new", year=2023, amount=MAX_KRONER))
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    [row] = reports.funding(runner.engine, by="office")
    assert (row["amount"], row["spent"], row["to_reclaim"]) == (
        2 * MAX_KRONER + 3_000_000_000, MAX_KRONER + 1, MAX_KRONER + 2_999_999_999)
    [frame] = reports.frames(runner.engine)
    assert (frame["frame"], frame["granted"], frame["left"]) == (MAX_KRONER, 2 * MAX_KRONER + 3_000_000_000,
                                                                 -(MAX_KRONER + 3_000_000_000))
    assert check(runner) == []
    ledger.close()


def test_a_report_during_a_rebuild_sees_the_previous_tables_never_empty_ones(db_url, monkeypatch):
    from grants.projections import runner as runner_module

    ledger = GrantsLedger(db_url)
    for n in range(4):
        funded(ledger, f"R/{n}", 500_000 + n, spent=1)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    before = reports.funding(runner.engine, by="position")
    halfway, resume = threading.Event(), threading.Event()
    real = runner_module.PROJECTIONS[0]

    def pausing_write(conn, batch, **kwargs):  # the rebuild stops after its first batch until the report is done
        real.write(conn, batch, **kwargs)
        halfway.set()
        assert resume.wait(20)

    monkeypatch.setattr(runner_module, "PROJECTIONS", (runner_module.Projection(real.name, real.topics, pausing_write),
                                                       *runner_module.PROJECTIONS[1:]))
    rebuilding = threading.Thread(target=runner.rebuild, kwargs={"batch": 2})
    rebuilding.start()
    try:
        assert halfway.wait(20)
        reader = Runner(engine_for(db_url), ledger)  # another process reporting meanwhile
        assert reader.catch_up() == 0 and reports.funding(reader.engine, by="position") == before
        reader.engine.dispose()
    finally:
        resume.set()
        rebuilding.join()
    assert reports.funding(runner.engine, by="position") == before
    ledger.close()


def test_edited_added_and_deleted_read_model_rows_are_named_by_the_check(db_url):
    ledger = GrantsLedger(db_url)
    funded(ledger, "E/1", 700_000, spent=1)
    funded(ledger, "E/2", 800_000)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    assert check(runner) == []
    e1, e2 = (str(ledger.position(ref).id) for ref in ("E/1", "E/2"))
    with runner.engine.begin() as conn:
        conn.execute(text("UPDATE proj_years SET amount = 7000000 WHERE position_id = :p"), {"p": e1})
        conn.execute(text("DELETE FROM proj_years WHERE position_id = :p"), {"p": e2})
        conn.execute(text("INSERT INTO proj_frames VALUES ('f', 'oslo', '765.62', 2023, 1, 'x', NULL)"))
    assert sorted(str(d) for d in check(runner)) == sorted([
        "proj_years (position_id='" + e1 + "', year=2023): amount is 7000000 in the table, 700000 from the log",
        "proj_years (position_id='" + e2 + "', year=2023) is missing from the table",
        "proj_frames (frame_id='f') is not in the log",
    ])
    result = grants(db_url, "projections", "check", "--format", "csv", actor="boss")
    assert result.exit_code == 7 and result.stderr.startswith("Error: projections: proj_")
    assert result.stderr.endswith(" (and 2 more, listed above)\n")
    assert sorted(result.stdout.splitlines()) == sorted([
        "table,key,column,in_table,from_log", f"proj_years,position_id={e1}; year=2023,amount,7000000,700000",
        f"proj_years,position_id={e2}; year=2023,(row),missing,present", "proj_frames,frame_id=f,(row),present,missing"])
    ledger.close()


def test_a_tracking_counter_ahead_of_the_log_is_an_error_not_a_report(db_url):
    ledger = GrantsLedger(db_url)
    funded(ledger, "T/1", 700_000)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    head = ledger.head()
    with runner.engine.begin() as conn:
        conn.execute(text("UPDATE proj_tracking SET position = :p WHERE name = 'positions'"), {"p": head + 5})
    assert [r["state"] for r in status_rows(runner)] == ["current", "ahead of the log (error)"]
    with pytest.raises(VerificationFailed, match=f"'positions' at {head + 5}, ahead of the log's head {head}"):
        runner.catch_up()
    assert grants(db_url, "projections", "status").exit_code == 7
    funding = grants(db_url, "funding")
    assert funding.exit_code == 7 and funding.stdout == "" and "ahead of the log" in funding.stderr
    assert [str(d) for d in check(runner)] == [f"proj_tracking (name='positions'): position is {head + 5} in the "
                                               f"table, 'at most {head}' from the log"]
    ledger.close()


def test_read_models_made_before_64_bit_money_are_upgraded_in_place(db_url):
    ledger = GrantsLedger(db_url)
    funded(ledger, "U/1", 700_000)
    engine = engine_for(db_url)
    Runner(engine, ledger).catch_up()
    with engine.begin() as conn:  # as the first version left them: no views, 32-bit money
        from grants.projections.views import drop_views

        drop_views(conn)
        conn.execute(text("DROP TABLE proj_schema"))
        conn.execute(text("DROP INDEX ix_proj_years_totals"))  # added in version 4
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE proj_years ALTER COLUMN amount TYPE integer"))
    runner = Runner(engine, ledger)
    assert current_version(engine) == SCHEMA_VERSION and check(runner) == []  # rows kept, nothing refolded
    assert "ix_proj_years_totals" in {index["name"] for index in inspect(engine).get_indexes("proj_years")}
    funded(ledger, "U/2", 3_000_000_000)
    runner.catch_up()
    assert sum(r["amount"] for r in reports.funding(engine, by="position")) == 3_000_700_000
    ledger.close()


# --- 6. storage failures exit with their codes and one line -------------------------------------

def sqlite_ledger(tmp_path, positions=3):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = GrantsLedger.create(url)
    for n in range(positions):
        ledger.execute(c.parse(c.Apply, ref=f"S/{n}", kommune="3401", scheme="765.62", title="t" * 150, fte="1",
                               year="2021"))
    ledger.close()
    return url, tmp_path / "ledger.sqlite"


def one_line(result, code, text):
    assert result.exit_code == code, result.output
    assert result.stderr == f"Error: {text}\n" and "Traceback" not in result.output


def test_a_file_that_is_not_a_ledger_exits_2_with_one_line_naming_it(tmp_path):
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"not a database " * 500)
    one_line(grants(f"sqlite:///{path}", "show", "S/1"), 2,
             f"db: sqlite:///{path} is not a grants ledger (SQLITE_NOTADB: not an SQLite database)")


def test_a_damaged_page_exits_7_with_one_line(tmp_path):
    url, path = sqlite_ledger(tmp_path, positions=40)
    data = bytearray(path.read_bytes())
    data[4096:3 * 4096] = b"\xff" * (2 * 4096)  # the table b-tree pages after the schema page
    path.write_bytes(bytes(data))
    one_line(grants(url, "history", "S/1"), 7,
             "db: the database file is damaged (SQLITE_CORRUPT); restore it from a backup")


def test_a_full_disk_exits_8_with_one_line_and_writes_nothing(tmp_path, monkeypatch):
    from eventsourcing.sqlite import SQLiteConnectionPool

    url, path = sqlite_ledger(tmp_path)
    real = SQLiteConnectionPool._create_connection

    def no_room_to_grow(pool):  # SQLite's own 'database or disk is full' once the file would grow
        connection = real(pool)
        pages = connection._sqlite_conn.execute("PRAGMA page_count").fetchone()[0]
        connection._sqlite_conn.execute(f"PRAGMA max_page_count = {pages}")
        return connection

    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", no_room_to_grow)
    batch = tmp_path / "batch.csv"
    batch.write_text("command,ref,kommune,scheme,title,fte,year\n" + "".join(
        f"apply,F/{n},3401,765.62,{'t' * 150},1,2021\n" for n in range(300)))
    one_line(grants(url, "import", str(batch)), 8,
             "db: the disk is full (SQLITE_FULL); nothing was written, free space and re-run")
    monkeypatch.undo()
    assert GrantsLedger(url).head() == 3


def test_postgres_failures_map_by_sqlstate_not_by_message():
    import psycopg

    from grants.ledger.storage import translate

    cases = {psycopg.errors.DiskFull("x"): (8, "out of disk space or resources (53100)"),
             psycopg.errors.InsufficientPrivilege("x"): (5, "permission denied for this login"),
             psycopg.errors.ReadOnlySqlTransaction("x"): (5, "read-only (25006)"),
             psycopg.errors.DataCorrupted("x"): (7, "damaged data (XX001)"),
             psycopg.errors.DeadlockDetected("x"): (3, "deadlock"),
             psycopg.errors.AdminShutdown("x"): (8, "not accepting connections (57P01)"),
             psycopg.errors.IdleInTransactionSessionTimeout("x"): (8, "transaction left idle too long (25P03)"),
             psycopg.errors.IdleSessionTimeout("x"): (8, "session left idle too long (57P05)"),
             psycopg.OperationalError("connection refused"): (2, "cannot reach the database")}
    for error, (code, message) in cases.items():
        try:  # wrapped, as eventsourcing and SQLAlchemy hand them on
            try:
                raise error
            except psycopg.Error as inner:
                raise RuntimeError("wrapped") from inner
        except RuntimeError as outer:
            mapped = translate(outer)
        assert mapped.exit_code == code and message in str(mapped), (error, mapped)
    assert translate(psycopg.errors.UniqueViolation("x")) is None  # a version conflict is not storage
    assert translate(ValueError("disk is full")) is None  # the message alone never decides


def test_a_read_only_database_exits_5_with_one_line(db_url, monkeypatch):
    """SQLite: a file opened read-only, as for a user without write permission (SQLITE_READONLY);
    PostgreSQL: a session that refuses writes (SQLSTATE 25006)."""
    from grants.ledger import application

    ledger = GrantsLedger(db_url)
    ledger.execute(c.parse(c.Apply, ref="P/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021"))
    ledger.close()
    if db_url.startswith("sqlite"):
        real = application.eventsourcing_env
        monkeypatch.setattr(application, "eventsourcing_env", lambda target, **options: {
            **real(target, **options), "SQLITE_DBNAME": f"file:{real(target)['SQLITE_DBNAME']}?mode=ro"})
        expected = "db: the database file is read-only (SQLITE_READONLY); nothing was written"
    else:
        monkeypatch.setenv("PGOPTIONS", "-c default_transaction_read_only=on")  # read by libpq at connect
        expected = "database: the server is read-only (25006); nothing was written"
    assert grants(db_url, "show", "P/1").exit_code == 0  # reading works
    one_line(grants(db_url, "grant", "P/1", "--year", "2021"), 5, expected)
    assert len(GrantsLedger(db_url).events_of("P/1")) == 1


def test_init_never_prints_the_database_password(db_url):
    from grants.ledger.config import redacted_url

    result = grants(db_url, "init", actor=admin_of(db_url))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"initialised {redacted_url(db_url)};")
    if db_url.startswith("postgres"):
        assert ":***@" in result.stdout and "grants:grants@" not in result.output
    assert redacted_url("postgresql+psycopg://u:p%40ss@h:5432/db?schema=s") == "postgresql+psycopg://u:***@h:5432/db?schema=s"
