"""`expiry` reads current read models through the ledger's own connection, without SQLAlchemy
(issue 14: ~0.3 s of its second at a million events), on SQLite and PostgreSQL: the same rows as
through SQLAlchemy for every filter, and only when the read models are current."""

import os
import subprocess
import sys

import pytest

from grants.domain import commands as c
from grants.ledger.application import GrantsLedger
from grants.projections import expiry, reports
from grants.projections.catch_up import open_current
from grants.projections.current import is_current
from grants.projections.db import engine_for
from grants.projections.runner import Runner
from tests.e2e.test_cli import REF, apply
from tests.integration.test_decisions_projections import scenario as kommune_changes
from tests.integration.test_projections import run, scenario

FILTERS = [{}, {"office": "innlandet"}, {"scheme": "765.62"}, {"kommune": "3001"}, {"kommune": "3101"},
           {"kommune": "3401", "office": "innlandet"}, {"office": "nowhere"}]


def caught_up(db_url):
    ledger = GrantsLedger(db_url)
    scenario(ledger)
    kommune_changes(ledger)
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    return ledger, runner


@pytest.mark.parametrize("year", [None, 2024])
def test_the_text_query_on_the_ledger_s_connection_gives_what_sqlalchemy_gives(db_url, year):
    ledger, runner = caught_up(db_url)
    dialect = "postgresql" if ledger.on_postgres else "sqlite"
    for filters in FILTERS:
        direct = expiry.expiry_columns(ledger.select_parts, dialect, year=year, **filters)
        assert list(direct) == reports.expiry(runner.engine, year=year, **filters), filters
    # H/1 moved from Halden's 3001 to 3101 in 2024: found under either code, and nothing else is
    assert [r["ref"] for r in expiry.expiry_columns(ledger.select_parts, dialect, kommune="3101")] == ["H/1"]
    assert [r["ref"] for r in expiry.expiry_columns(ledger.select_parts, dialect, kommune="3001")] == ["H/1"]
    assert [(r["ref"], r["kommunenummer"], r["ends"]) for r in
            expiry.expiry_columns(ledger.select_parts, dialect, office="innlandet")] == [
        ("A/1", "3401", 2024), ("B/1", "3403", 2021)]
    # the other reports' positions of a kommune come from the same condition
    assert [p["ref"] for p in reports._positions(runner.engine, kommune="3101")] == ["H/1"]
    ledger.close()


def test_read_models_are_current_only_at_the_head_with_this_version_s_layout(db_url):
    ledger = GrantsLedger(db_url)
    run(ledger, c.Apply, ref="A/1", kommune="3401", scheme="765.62", title="t", fte="1", year="2021")
    assert not is_current(ledger)  # no read models yet
    runner = Runner(engine_for(db_url), ledger)
    runner.catch_up()
    assert is_current(ledger)
    assert open_current(ledger).engine is None  # read through the ledger's own connection
    run(ledger, c.Apply, ref="A/2", kommune="3403", scheme="765.62", title="t", fte="1", year="2021")
    assert not is_current(ledger)  # one event behind: open_current catches up as open_views does
    found = open_current(ledger)
    assert found.engine is not None and found.behind == 0 and is_current(ledger)
    with runner.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE proj_schema SET reference = 'other data'")
    assert not is_current(ledger)  # reference data from another version of the program
    ledger.close()


def test_expiry_on_current_read_models_never_imports_sqlalchemy(grants):
    """Run as a user runs it: the first report catches the read models up (SQLAlchemy), the next
    reads them as they are, without it, and prints the same."""
    apply(grants)
    assert grants("grant", REF, "--year", "2021", "--decided", "2021-03-01").exit_code == 0
    job = ("import sys\nfrom grants.cli.main import main\nsys.argv = ['grants', 'expiry', '--format', 'csv']\n"
           "try:\n    main()\nexcept SystemExit as end:\n    code = end.code\n"
           "print('sqlalchemy' in sys.modules, code, file=sys.stderr)")
    env = {**os.environ, "GRANTS_DB": grants.url, "GRANTS_ACTOR": "kari.nordmann"}
    first, second = (subprocess.run([sys.executable, "-c", job], env=env, capture_output=True, text=True)
                     for _ in range(2))
    assert (first.stderr, second.stderr) == ("True 0\n", "False 0\n")
    assert first.stdout == second.stdout == (
        "ref,office,kommunenummer,scheme,status,first_year,last_funded,last_fundable,years_left,ends\n"
        f"{REF},innlandet,3401,765.62,active,2021,2021,2024,3,2024\n")


def test_only_the_database_refusing_makes_read_models_not_current(db_url, monkeypatch):
    """No tables, no right to read them: the usual way says what is wrong. A mistake of the
    program's own is raised, not taken for "not current" (which would only cost speed, unseen)."""
    import sqlite3

    ledger = GrantsLedger(db_url)
    if ledger.on_postgres:  # the schema the URL names is the fast read's search path, as SQLAlchemy's
        assert ledger.recorder.search_path == db_url.rsplit("schema=", 1)[1]

    def failing(error):
        def select_rows(*_args):
            raise error
        return select_rows

    monkeypatch.setattr(ledger, "select_rows", failing(sqlite3.OperationalError("no such table: proj_schema")))
    assert is_current(ledger) is False
    monkeypatch.setattr(ledger, "select_rows", failing(TypeError("a bug")))
    with pytest.raises(TypeError):
        is_current(ledger)
    ledger.close()
