"""Attacks by someone who can write rows, on SQLite and PostgreSQL: each succeeded before
issue 11 and is caught now (docs/reliability.md, attack table)."""

import pytest
from click.testing import CliRunner

from grants.cli.main import cli
from grants.domain import commands as c
from grants.domain.actor import acting_as
from grants.domain.users import User
from grants.ledger.application import GrantsLedger
from grants.ledger.verify import ledger_rows, verify
from tests.reliability.tamper import Tamper


def grants(url, *args, actor="boss", env=None):
    return CliRunner().invoke(cli, ["--db", url, *args], env={"GRANTS_ACTOR": actor, **(env or {})})


@pytest.fixture
def office(db_url):
    """An initialised ledger: boss (admin), kari (caseworker, innlandet), one granted and reported position."""
    ledger = GrantsLedger(db_url)
    with acting_as("boss"):
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
    position.report(year=2021, spent=660_000, correction=True)  # hides the 60 000 to reclaim
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
